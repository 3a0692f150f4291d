package dev.shardinit.spark;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a run on stderr: shards done of total, bytes written, rate and ETA. On a terminal one line is
 * redrawn in place with a bar; otherwise a plain line is printed every few seconds.
 */
public final class Progress implements AutoCloseable {
  private final PrintStream err;
  private final boolean tty;
  private final long totalShards;
  private final long totalBytes;
  private final long startNanos = System.nanoTime();
  private final Thread thread;
  private volatile Generator.Counters counters;
  private volatile boolean done;

  public Progress(PrintStream err, boolean tty, long totalShards, long totalBytes) {
    this.err = err;
    this.tty = tty;
    this.totalShards = totalShards;
    this.totalBytes = totalBytes;
    this.thread = new Thread(this::loop, "shardinit-progress");
    this.thread.setDaemon(true);
  }

  public void start(Generator.Counters c) {
    this.counters = c;
    thread.start();
  }

  private void loop() {
    long period = tty ? 250 : 5000;
    while (!done) {
      try {
        Thread.sleep(period);
      } catch (InterruptedException e) {
        return;
      }
      if (!done) {
        print(false);
      }
    }
  }

  private synchronized void print(boolean last) {
    Generator.Counters c = counters;
    if (c == null) {
      return;
    }
    long shards = c.shards.value();
    long bytes = c.bytes.value();
    double secs = (System.nanoTime() - startNanos) / 1e9;
    double rate = secs > 0 ? bytes / secs : 0;
    String eta = rate > 0 && bytes < totalBytes ? String.format(Locale.ROOT, "%.0fs", (totalBytes - bytes) / rate) : "-";
    String text = String.format(Locale.ROOT, "%d/%d shards  %s / %s  %s/s  ETA %s", shards, totalShards,
        size(bytes), size(totalBytes), size((long) rate), last ? "0s" : eta);
    if (tty) {
      int width = 30;
      int filled = totalBytes > 0 ? (int) (width * Math.min(1.0, (double) bytes / totalBytes)) : width;
      err.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + text + "   ");
      if (last) {
        err.println();
      }
    } else {
      err.println("shardinit: " + text);
    }
    err.flush();
  }

  /** Human size with binary units. */
  public static String size(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** Prints the final state (when the run succeeded) and stops the display. */
  public void finish(boolean success) {
    done = true;
    thread.interrupt();
    if (success) {
      print(true);
    } else if (tty) {
      err.println();
    }
  }

  @Override
  public void close() {
    done = true;
    thread.interrupt();
  }
}
