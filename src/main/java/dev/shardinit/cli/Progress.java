package dev.shardinit.cli;

import dev.shardinit.plan.ByteSize;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a job on stderr: files done of total, bytes, rate and ETA, as the executors report them while
 * they work. On a terminal one line is redrawn in place with a bar; otherwise a plain line is printed every
 * {@link #PLAIN_PERIOD_MILLIS} ms.
 */
final class Progress {
  static final long PLAIN_PERIOD_MILLIS = 2000;

  private final PrintWriter err;
  private final boolean tty;
  private final String what;
  private final long totalFiles;
  private final long totalBytes;
  private final long startNanos = System.nanoTime();
  private final Thread thread;
  private volatile LongSupplier files;
  private volatile LongSupplier bytes;
  private volatile boolean done;
  private long shownFiles;
  private long shownBytes;

  /** @param what what is counted, and what happens to it: "files written", "regions checked" */
  Progress(PrintWriter err, boolean tty, String what, long totalFiles, long totalBytes) {
    this.err = err;
    this.tty = tty;
    this.what = what;
    this.totalFiles = totalFiles;
    this.totalBytes = totalBytes;
    this.thread = new Thread(this::loop, "shardinit-progress");
    this.thread.setDaemon(true);
  }

  /** Starts showing the counters (files, bytes). */
  void start(LongSupplier files, LongSupplier bytes) {
    this.files = files;
    this.bytes = bytes;
    thread.start();
  }

  private void loop() {
    long period = tty ? 250 : PLAIN_PERIOD_MILLIS;
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
    if (files == null) {
      return;
    }
    // live counts can run ahead for a moment as a task ends: never show them going back or past the end
    shownFiles = Math.min(totalFiles, Math.max(shownFiles, last ? totalFiles : files.getAsLong()));
    shownBytes = Math.min(totalBytes, Math.max(shownBytes, last ? totalBytes : bytes.getAsLong()));
    double secs = (System.nanoTime() - startNanos) / 1e9;
    double rate = secs > 0 ? shownBytes / secs : 0;
    String eta = last ? "0s" : rate > 0 && shownBytes < totalBytes
        ? String.format(Locale.ROOT, "%.0fs", (totalBytes - shownBytes) / rate) : "-";
    String text = String.format(Locale.ROOT, "%d/%d %s  %s / %s  %s/s  ETA %s", shownFiles, totalFiles, what,
        ByteSize.show(shownBytes), ByteSize.show(totalBytes), ByteSize.show((long) rate), eta);
    if (tty) {
      int width = 30;
      int filled = totalBytes > 0 ? (int) (width * Math.min(1.0, (double) shownBytes / totalBytes)) : width;
      err.print("\r[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + text + "   ");
      if (last) {
        err.println();
      }
    } else {
      err.println("shardinit: " + text);
    }
    err.flush();
  }

  /** Stops the display; prints the final state when the job succeeded. */
  void finish(boolean success) {
    done = true;
    thread.interrupt();
    if (success) {
      print(true);
    } else if (tty && files != null) {
      err.println();
    }
  }
}
