package dev.shardinit.spark;

import dev.shardinit.format.FileFormat;
import dev.shardinit.format.Manifest;
import dev.shardinit.plan.Crc32c;
import dev.shardinit.plan.Layout;
import dev.shardinit.plan.Plan;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * The driver: distributes a plan's tasks, collects the receipts, removes whatever no receipt names (failed
 * attempts' temporary files), and commits the checkpoint by writing manifest.json last, under a temporary
 * name renamed into place.
 */
public final class Generator {
  /**
   * Test-only fault hook, a local property of the submitting thread ({@link SparkContext#setLocalProperty}):
   * "true" makes the first attempt of task 0 fail after writing a temporary file (the retry must still give
   * the identical checkpoint); "always" makes every attempt of task 0 fail (the run must fail and leave no
   * checkpoint).
   */
  public static final String FAULT_HOOK = "spark.shardinit.test.failFirstAttempt";

  private Generator() {}

  /** Counters the progress display reads. */
  public static final class Counters {
    public final LongAccumulator shards;
    public final LongAccumulator bytes;

    Counters(LongAccumulator shards, LongAccumulator bytes) {
      this.shards = shards;
      this.bytes = bytes;
    }
  }

  /** Runs the plan into {@code out}, which must exist and be empty; returns the manifest written. */
  public static Map<String, Object> run(SparkContext sc, Plan plan, long seed, FileFormat format, Path out,
      int partitions, java.util.function.Consumer<Counters> onStart) throws IOException {
    Configuration hconf = sc.hadoopConfiguration();
    FileSystem fs = Fs.of(out, hconf);
    List<Recipe> recipes = new ArrayList<>();
    for (Plan.TensorPlan t : plan.tensors()) {
      recipes.add(Recipe.of(t.init()));
    }
    List<Plan.Task> tasks = plan.tasks();
    Counters counters = new Counters(sc.longAccumulator("shardinit.shards"), sc.longAccumulator("shardinit.bytes"));
    if (onStart != null) {
      onStart.accept(counters);
    }
    List<Receipt> receipts = new ArrayList<>();
    if (!tasks.isEmpty()) {
      int slices = partitions > 0 ? partitions : sc.defaultParallelism();
      String hook = String.valueOf(sc.getLocalProperty(FAULT_HOOK));
      boolean fault = hook.equals("true") || hook.equals("always");
      boolean always = hook.equals("always");
      List<List<Plan.Task>> groups = balance(tasks, slices);
      ShardJob job = new ShardJob(sc, groups, recipes, Fs.bytes(hconf), out.toUri().toString(), format,
          counters.shards, counters.bytes, fault, always, fillSlots(sc));
      String group = "shardinit-generate-" + System.nanoTime();
      sc.setJobGroup(group, "shardinit generate: " + tasks.size() + " tasks", true);
      try {
        for (Receipt[] part : job.run()) {
          receipts.addAll(List.of(part));
        }
        // A speculative copy that lost the race may still be finishing its temporary file: wait for it, so the
        // clean-up below sees (and removes) everything it wrote.
        awaitIdle(sc, group, 60_000);
      } catch (Exception e) { // a failed job throws SparkException, a checked exception Scala does not declare
        // A failed job may leave sibling tasks still writing: stop them and wait, so that the caller's clean-up
        // is not undone by a late task.
        sc.cancelJobGroup(group);
        awaitIdle(sc, group, 60_000);
        awaitExecutorsIdle(sc, 60_000); // killed tasks can outlive their stage's bookkeeping
        throw e;
      } finally {
        sc.clearJobGroup();
      }
    }
    Map<String, Object> manifest = manifest(plan, seed, format, receipts);
    removeStrays(fs, out, receipts);
    commit(fs, out, manifest);
    return manifest;
  }

  /**
   * The cores of one executor that this job's fills may share ({@link FillHelpers}): in local mode the driver's
   * task slots, on a cluster {@code spark.executor.cores} where it is set (else none are lent).
   */
  static int fillSlots(SparkContext sc) {
    return sc.isLocal() ? sc.defaultParallelism() : sc.conf().getInt("spark.executor.cores", 0);
  }

  /**
   * Deals the tasks into at most {@code slices} groups (Spark partitions) of about equal bytes: largest task
   * first, each to the lightest group so far, ties to the lowest index. A group's shards are filled and
   * written two at a time in one Spark task ({@link ShardWriter}), so fewer, fuller partitions keep a core's
   * generation and its disk writes overlapping. Files do not depend on the grouping, only the scheduling does.
   */
  static List<List<Plan.Task>> balance(List<Plan.Task> tasks, int slices) {
    int k = Math.min(slices, tasks.size());
    List<List<Plan.Task>> groups = new ArrayList<>();
    long[] load = new long[k];
    for (int g = 0; g < k; g++) {
      groups.add(new ArrayList<>());
    }
    List<Plan.Task> bySize = new ArrayList<>(tasks);
    bySize.sort(Comparator.comparingLong((Plan.Task t) -> -t.bytes()).thenComparingInt(Plan.Task::index));
    for (Plan.Task t : bySize) {
      int best = 0;
      for (int g = 1; g < k; g++) {
        if (load[g] < load[best]) {
          best = g;
        }
      }
      groups.get(best).add(t);
      load[best] += t.bytes();
    }
    for (List<Plan.Task> g : groups) {
      g.sort(Comparator.comparingInt(Plan.Task::index)); // plan order within a group: tensors' files in order
    }
    return groups;
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

  static Map<String, Object> manifest(Plan plan, long seed, FileFormat format, List<Receipt> receipts) {
    List<Receipt> sorted = new ArrayList<>(receipts);
    sorted.sort(Comparator.<Receipt>comparingInt(r -> r.tensor).thenComparingLong(r -> r.start));
    List<Map<String, Object>> tensors = new ArrayList<>();
    int k = 0;
    for (Plan.TensorPlan t : plan.tensors()) {
      Map<String, Object> e = Manifest.tensorEntry(t.init());
      e.remove("seed");
      e.remove("spec_version");
      List<Map<String, Object>> files = new ArrayList<>();
      int crc = 0;
      long covered = 0;
      int bytes = t.init().target().dtype().bytes();
      while (k < sorted.size() && sorted.get(k).tensor == t.index()) {
        Receipt r = sorted.get(k++);
        if (r.start != covered) {
          throw new IllegalStateException("tensor " + t.init().target().name() + ": elements [" + covered + ", "
              + r.start + ") have no file");
        }
        crc = covered == 0 ? r.crc32c : Crc32c.combine(crc, r.crc32c, (r.end - r.start) * bytes);
        covered = r.end;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("path", r.path);
        f.put("start", r.start);
        f.put("end", r.end);
        f.put("rows", r.rows);
        f.put("bytes", r.bytes);
        f.put("crc32c", Manifest.hex(r.crc32c));
        f.put("min", r.min);
        f.put("max", r.max);
        f.put("mean", r.mean);
        f.put("std", r.std);
        files.add(f);
      }
      if (covered != t.init().target().numel()) {
        throw new IllegalStateException("tensor " + t.init().target().name() + ": only " + covered + " of "
            + t.init().target().numel() + " elements written");
      }
      e.put("crc32c", Manifest.hex(crc));
      e.put("dir", t.dir());
      e.put("files", files);
      tensors.add(e);
    }
    return Manifest.document(seed, format.id(), Layout.PIECE_CAP, tensors);
  }

  /** Deletes every file under {@code out} that no receipt names (temporary files of failed attempts). */
  static void removeStrays(FileSystem fs, Path out, List<Receipt> receipts) throws IOException {
    Set<String> keep = new HashSet<>();
    for (Receipt r : receipts) {
      keep.add(r.path);
    }
    for (String rel : Fs.filesNotIn(fs, out, keep)) {
      fs.delete(new Path(out, rel), false);
    }
  }

  /** Writes manifest.json atomically: a temporary name first, then a rename. */
  static void commit(FileSystem fs, Path out, Map<String, Object> manifest) throws IOException {
    Path tmp = new Path(out, "." + Manifest.FILE + ".tmp");
    try (OutputStream os = fs.create(tmp, true)) {
      os.write(Manifest.pretty(manifest).getBytes(StandardCharsets.UTF_8));
    }
    Path dst = new Path(out, Manifest.FILE);
    if (!fs.rename(tmp, dst)) {
      throw new IOException("cannot rename " + tmp + " to " + dst);
    }
  }
}
