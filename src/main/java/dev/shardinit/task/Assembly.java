package dev.shardinit.task;

import dev.shardinit.format.io.Fs;
import dev.shardinit.plan.Plan;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.function.LongConsumer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Assembles a packed file from its header and its regions' part files ({@link Destination#parts}), for file
 * systems without positional writes: one stream, the header then every part in data order, each checked to
 * have its length; memory is one copy buffer. The result goes to the run's temporary name of the file through
 * an attempt's own temporary name ({@link Placement}), so two attempts never write one file.
 */
public final class Assembly {
  private Assembly() {}

  /** One packed file to assemble: its name, its header, and its regions (data offset, bytes) in data order. */
  public record Job(String name, byte[] header, long[] offsets, long[] bytes) implements Serializable {}

  /**
   * Assembles {@code job} into {@code out}'s temporary file of the run {@code runTag}; returns its size.
   *
   * @param attempt unique to the task attempt
   * @param onBytes told the bytes copied, as they are
   */
  public static long assemble(FileSystem fs, Path out, Job job, String runTag, String attempt, LongConsumer onBytes)
      throws IOException {
    Path parts = new Path(out, Plan.partsDir(job.name(), runTag));
    byte[] buf = new byte[1 << 20];
    // where files publish on close, the assembled file goes straight to its name (a rename would copy it)
    String target = Fs.publishesOnClose(fs, out) ? job.name() : Plan.tempName(job.name(), runTag);
    return Placement.place(fs, out, target, attempt, sink -> {
      try (OutputStream o = sink.create()) {
        o.write(job.header());
        for (int i = 0; i < job.offsets().length; i++) {
          if (Thread.currentThread().isInterrupted()) {
            throw new java.io.InterruptedIOException("the task was cancelled");
          }
          Path part = new Path(parts, Plan.partName(job.offsets()[i]));
          long copied = 0;
          try (InputStream in = fs.open(part, 1 << 20)) {
            for (int n; (n = in.read(buf)) > 0; ) {
              o.write(buf, 0, n);
              copied += n;
              onBytes.accept(n);
            }
          }
          if (copied != job.bytes()[i]) {
            throw new IOException(part + " holds " + copied + " bytes, not " + job.bytes()[i]);
          }
        }
      }
    });
  }
}
