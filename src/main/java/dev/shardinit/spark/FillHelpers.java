package dev.shardinit.spark;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cores of an executor that none of its tasks is filling on, lent to a task that still fills. A job's tasks
 * rarely end together (two vCPUs drift apart by up to half a second over a 1 GiB job), and a job with fewer
 * tasks than cores never uses the others: a task whose core count is below the executor's then fills half of
 * a chunk on a borrowed thread while it fills the other half itself. Values depend on element indices only,
 * so who fills which half changes no byte; the task adds both halves to its statistics itself, in order.
 *
 * <p>A task holds one core from {@link #enter} to {@link #exit}; a lent thread holds one while it fills. No
 * more than {@code slots} are held at once, counting only this job's tasks (Spark runs an application's tasks
 * alone in its executors).
 */
final class FillHelpers {
  private static FillHelpers shared;

  private final int slots;
  private final AtomicInteger busy = new AtomicInteger();
  private final AtomicLong lent = new AtomicLong();
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "shardinit-fill-helper");
    t.setDaemon(true);
    return t;
  });

  /** @param slots the executor's cores that this job's fills may use at once */
  FillHelpers(int slots) {
    this.slots = slots;
  }

  /** This JVM's helpers for an executor of {@code slots} cores (a job with another count gets new ones). */
  static synchronized FillHelpers shared(int slots) {
    if (shared == null || shared.slots != slots) {
      shared = new FillHelpers(slots);
    }
    return shared;
  }

  /** A task starts filling on its own core. */
  void enter() {
    busy.incrementAndGet();
  }

  /** The task that called {@link #enter} has stopped filling. */
  void exit() {
    busy.decrementAndGet();
  }

  /** Runs {@code work} on a borrowed core if one is idle now; null (nothing runs) if none is. */
  Future<?> tryLend(Runnable work) {
    while (true) {
      int b = busy.get();
      if (b >= slots) {
        return null;
      }
      if (busy.compareAndSet(b, b + 1)) {
        break;
      }
    }
    try {
      Future<?> f = threads.submit(() -> {
        try {
          work.run();
        } finally {
          busy.decrementAndGet();
        }
      });
      lent.incrementAndGet();
      return f;
    } catch (RejectedExecutionException e) {
      busy.decrementAndGet();
      return null;
    }
  }

  /** How many pieces of work borrowed a core so far. */
  long lent() {
    return lent.get();
  }
}
