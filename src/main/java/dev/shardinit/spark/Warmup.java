package dev.shardinit.spark;

import dev.shardinit.format.FileFormat;
import dev.shardinit.format.ShardFiles;
import dev.shardinit.init.Initializer;
import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import dev.shardinit.plan.Plan;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;

/**
 * Compiles the hot loops while Spark starts: a background thread fills, checksums and writes (to a local
 * temporary file, deleted at once) a few million values of each kind of tensor in the plan (initializer and
 * dtype). In local mode the executors run in this JVM and
 * start with compiled code; on a cluster it costs the driver a fraction of a second of otherwise idle time.
 * Nothing it writes stays.
 */
public final class Warmup {
  private static final long VALUES = 1L << 22;

  private Warmup() {}

  /** Starts the warm-up; join the thread (with a timeout) before the job starts. */
  public static Thread start(Plan plan, FileFormat format) {
    Thread t = new Thread(() -> run(plan, format), "shardinit-warmup");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void run(Plan plan, FileFormat format) {
    Set<String> seen = new HashSet<>();
    java.nio.file.Path dir = null;
    try {
      dir = java.nio.file.Files.createTempDirectory("shardinit-warmup");
      fill(plan, format, seen, dir);
    } catch (IOException | RuntimeException e) {
      // warming is best effort: the job itself reports real problems
    } finally {
      if (dir != null) {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(dir)) {
          for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
            java.nio.file.Files.deleteIfExists(f);
          }
          java.nio.file.Files.deleteIfExists(dir);
        } catch (IOException e) {
          // a temporary directory left behind is harmless
        }
      }
    }
  }

  private static void fill(Plan plan, FileFormat format, Set<String> seen, java.nio.file.Path dir)
      throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration()).getRaw();
    int file = 0;
    for (Plan.TensorPlan tp : plan.tensors()) {
      Initializer init = tp.init();
      String kind = init.fn() + "/" + init.target().dtype();
      long n = Math.min(VALUES, init.target().numel());
      if (init.fn().equals("orthogonal_") || n < 4096 || !seen.add(kind)) {
        continue; // orthogonal_ would build its whole matrix; tiny tensors warm nothing
      }
      ByteBuffer b = ByteBuffer.allocate((int) n * init.target().dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
      for (int round = 0; round < 3 && !Thread.currentThread().isInterrupted(); round++) {
        b.clear();
        init.fill(0, n, b);
        b.flip();
        Stats.of(b, init.target().dtype());
        Path f = new Path(dir.resolve("w" + file++).toUri());
        ShardFiles.write(fs, f, format, init.target().dtype(), 0, new long[] {n}, b, Map.of());
        fs.delete(f, false);
      }
    }
  }
}
