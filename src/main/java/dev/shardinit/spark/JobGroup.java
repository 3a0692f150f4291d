package dev.shardinit.spark;

import java.io.IOException;
import java.util.List;
import org.apache.spark.SparkContext;

/**
 * A Spark job group of one command: its jobs run with interruption on cancel, {@link #cancel} may come from any
 * thread (a signal handler), and a failed or cancelled job is waited out, so nothing of it still writes when
 * the command cleans up.
 */
final class JobGroup {
  private final SparkContext sc;
  private final String group = "shardinit-" + System.nanoTime();
  private volatile boolean cancelled;

  JobGroup(SparkContext sc) {
    this.sc = sc;
  }

  /** Cancels the running job and every later one. */
  void cancel() {
    cancelled = true;
    sc.cancelJobGroup(group);
  }

  /**
   * Runs a job in this group; after a failure or a cancellation, waits until none of its tasks
   * runs any more, so that the caller's clean-up is not undone by a late task.
   */
  <R extends java.io.Serializable> List<R> run(WorkJob<?, R> job, String description) throws IOException {
    sc.setJobGroup(group, description, true);
    try {
      if (cancelled) {
        throw new IOException("cancelled");
      }
      List<R> results = job.run();
      // A speculative copy that lost the race may still be finishing its temporary file: wait for it, so the
      // clean-up of strays sees (and removes) everything it wrote.
      awaitIdle(sc, group, 60_000);
      return results;
    } catch (Exception e) { // a failed job throws SparkException, a checked exception Scala does not declare
      sc.cancelJobGroup(group);
      awaitIdle(sc, group, 60_000);
      awaitExecutorsIdle(sc, 60_000); // killed tasks can outlive their stage's bookkeeping
      throw e;
    } finally {
      sc.clearJobGroup();
    }
  }

  /** Waits until no task of the job group {@code group} runs any more (or the timeout passes). */
  static void awaitIdle(SparkContext sc, String group, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (busy(sc, group) && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Waits until no executor runs any task (or the timeout passes). */
  static void awaitExecutorsIdle(SparkContext sc, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (System.currentTimeMillis() < deadline) {
      int running = 0;
      for (org.apache.spark.SparkExecutorInfo e : sc.statusTracker().getExecutorInfos()) {
        running += e.numRunningTasks();
      }
      if (running == 0) {
        return;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static boolean busy(SparkContext sc, String group) {
    org.apache.spark.SparkStatusTracker st = sc.statusTracker();
    for (int job : st.getJobIdsForGroup(group)) {
      org.apache.spark.SparkJobInfo info = st.getJobInfo(job).getOrElse(() -> null);
      if (info == null) {
        continue;
      }
      for (int stage : info.stageIds()) {
        org.apache.spark.SparkStageInfo si = st.getStageInfo(stage).getOrElse(() -> null);
        if (si != null && si.numActiveTasks() > 0) {
          return true;
        }
      }
    }
    return false;
  }
}
