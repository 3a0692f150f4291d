package dev.shardinit.spark;

import dev.shardinit.init.Initializer;
import dev.shardinit.plan.Plan;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.Set;

/**
 * Compiles the hot loops while Spark starts: a background thread fills and checksums a few million values of
 * each kind of tensor in the plan (initializer and dtype). In local mode the executors run in this JVM and
 * start with compiled code; on a cluster it costs the driver a fraction of a second of otherwise idle time.
 * It writes nothing and its values are thrown away.
 */
public final class Warmup {
  private static final long VALUES = 1L << 22;

  private Warmup() {}

  /** Starts the warm-up; join the thread (with a timeout) before the job starts. */
  public static Thread start(Plan plan) {
    Thread t = new Thread(() -> run(plan), "shardinit-warmup");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void run(Plan plan) {
    Set<String> seen = new HashSet<>();
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
      }
    }
  }
}
