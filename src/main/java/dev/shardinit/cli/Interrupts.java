package dev.shardinit.cli;

import java.util.function.Supplier;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGINT and SIGTERM while a command runs: the first one is recorded and the command's work cancelled (the
 * command then cleans up and exits 130 or 143); a second one stops the process at once, saying what it
 * leaves. The JVM's own handlers (which run the shutdown hooks, Spark's among them, while the command still
 * works) are set back when the command ends.
 */
final class Interrupts implements AutoCloseable {
  private static final String[] SIGNALS = {"INT", "TERM"};

  private final SignalHandler[] previous = new SignalHandler[SIGNALS.length];
  private volatile Signal received;
  private volatile Runnable cancel = () -> {};
  private volatile Supplier<String> leftIfStopped = () -> "nothing was cleaned up";

  private Interrupts() {}

  static Interrupts install() {
    Interrupts i = new Interrupts();
    for (int k = 0; k < SIGNALS.length; k++) {
      i.previous[k] = Signal.handle(new Signal(SIGNALS[k]), i::handle);
    }
    return i;
  }

  private void handle(Signal s) {
    if (received != null) {
      System.err.println("shardinit: interrupted again (SIG" + s.getName() + "): stopped without cleaning up; "
          + leftIfStopped.get());
      System.err.flush();
      Runtime.getRuntime().halt(128 + s.getNumber());
    }
    received = s;
    cancel.run();
  }

  /** What to do on the first signal (from the signal's thread): cancel the running work. */
  void onSignal(Runnable r) {
    cancel = r;
    if (received != null) {
      r.run();
    }
  }

  /** What a stop on a second signal leaves, for its message. */
  void onSecondSignal(Supplier<String> left) {
    leftIfStopped = left;
  }

  boolean received() {
    return received != null;
  }

  /** "SIGINT" or "SIGTERM". */
  String name() {
    return "SIG" + received.getName();
  }

  /** 128 + the signal's number, as a shell reports a process a signal ended: 130 for SIGINT, 143 for SIGTERM. */
  int exitCode() {
    return 128 + received.getNumber();
  }

  /** Throws when a signal came: the command stops here and cleans up. */
  void check() {
    if (received != null) {
      throw new java.util.concurrent.CancellationException("interrupted by " + name());
    }
  }

  @Override
  public void close() {
    for (int k = 0; k < SIGNALS.length; k++) {
      Signal.handle(new Signal(SIGNALS[k]), previous[k]);
    }
  }
}
