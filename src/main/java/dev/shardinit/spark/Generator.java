package dev.shardinit.spark;

import dev.shardinit.format.FileEntry;
import dev.shardinit.format.FileFormat;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.TensorEntry;
import dev.shardinit.format.io.Fs;
import dev.shardinit.format.safetensors.SafetensorsLayout;
import dev.shardinit.plan.Crc32c;
import dev.shardinit.plan.Plan;
import dev.shardinit.task.Receipt;
import dev.shardinit.task.Recipe;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.util.SerializableConfiguration;

/**
 * The driver of a generate run: deals the plan's shards into partitions, runs them ({@link GenerateWork}),
 * collects the receipts, removes whatever no receipt names (failed attempts' temporary files) and returns the
 * manifest to commit. It writes no manifest itself: committing is the caller's ({@code commit.Run}).
 */
public final class Generator {
  private final SparkContext sc;
  private final JobGroup jobs;

  public Generator(SparkContext sc) {
    this.sc = sc;
    this.jobs = new JobGroup(sc);
  }

  /** Cancels the running job, if any (from any thread); {@link #run} then fails. */
  public void cancel() {
    jobs.cancel();
  }

  /**
   * Runs the plan into {@code dir}, which must exist and hold no tensor directories yet, and returns the
   * manifest of what was written.
   *
   * @param runTag     marks this run's temporary files (unique across runs)
   * @param partitions the number of partitions, or 0 for the context's default parallelism
   * @param onStart    given the job's live counters (files placed, bytes written) when it starts
   */
  public Manifest run(Plan plan, long seed, FileFormat format, Path dir, String runTag, int partitions,
      Consumer<LiveCounters> onStart) throws IOException {
    return run(plan, seed, format, null, dir, runTag, partitions, onStart);
  }

  /**
   * Runs the plan as {@link #run(Plan, long, FileFormat, Path, String, int, Consumer)} does; for a packed format,
   * into the files of {@code layout}, which the run has prepared under its temporary names.
   */
  public Manifest run(Plan plan, long seed, FileFormat format, SafetensorsLayout layout, Path dir, String runTag,
      int partitions, Consumer<LiveCounters> onStart) throws IOException {
    Map<String, Long> dataStarts = layout == null ? null : layout.dataStarts();
    Configuration hconf = sc.hadoopConfiguration();
    FileSystem fs = Fs.of(dir, hconf);
    List<Receipt> receipts = new ArrayList<>();
    List<Plan.Task> tasks = plan.tasks();
    LiveCounters counters = new LiveCounters(sc, "shardinit.files", "shardinit.bytes").start();
    try {
      if (onStart != null) {
        onStart.accept(counters);
      }
      if (!tasks.isEmpty()) {
        receipts.addAll(jobs.run(job(plan, format, dir, runTag, partitions, counters, dataStarts),
            "shardinit generate: " + tasks.size() + " tasks"));
      }
    } finally {
      counters.stop();
    }
    if (layout != null && !Fs.positional(fs)) {
      Assembler.run(sc, jobs, layout, receipts, dir, runTag);
    }
    Manifest manifest = manifest(plan, seed, format, receipts, layout);
    removeStrays(fs, dir, receipts);
    return manifest;
  }

  /** The Spark job of a plan: its tasks dealt into partitions, each partition's input its own shards' recipes. */
  WorkJob<GenerateWork.Slice, Receipt> job(Plan plan, FileFormat format, Path dir, String runTag, int partitions,
      LiveCounters counters, Map<String, Long> dataStarts) {
    List<GenerateWork.Slice> slices = new ArrayList<>();
    for (List<Plan.Task> g : balance(plan.tasks(), partitions > 0 ? partitions : sc.defaultParallelism(),
        Plan.Task::bytes)) {
      slices.add(slice(plan, g));
    }
    GenerateWork work = new GenerateWork(SerializableConfiguration.broadcast(sc), dir.toUri().toString(), format,
        runTag, counters.first(), counters.second(), dataStarts);
    return new WorkJob<>(sc, slices, work);
  }

  /** A partition's input: the shards of its tasks and the recipes of their tensors. */
  private static GenerateWork.Slice slice(Plan plan, List<Plan.Task> tasks) {
    List<Plan.Shard> shards = new ArrayList<>();
    Map<Integer, Recipe> recipes = new HashMap<>();
    for (Plan.Task t : tasks) {
      for (Plan.Shard s : t.shards()) {
        shards.add(s);
        recipes.computeIfAbsent(s.tensor(), i -> Recipe.of(plan.tensors().get(i).init()));
      }
    }
    return new GenerateWork.Slice(shards, recipes);
  }

  /**
   * Deals items into at most {@code slices} groups (Spark partitions) of about equal weight: heaviest first,
   * each to the lightest group so far, ties to the lowest index; each group keeps its items' order. Files do not
   * depend on the grouping, only the scheduling does.
   */
  static <T> List<List<T>> balance(List<T> items, int slices, ToLongFunction<T> weight) {
    int k = Math.min(slices, items.size());
    List<List<Integer>> groups = new ArrayList<>();
    long[] load = new long[k];
    for (int g = 0; g < k; g++) {
      groups.add(new ArrayList<>());
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingLong((Integer i) -> -weight.applyAsLong(items.get(i))).thenComparingInt(i -> i));
    java.util.PriorityQueue<Integer> lightest = new java.util.PriorityQueue<>(
        Comparator.comparingLong((Integer g) -> load[g]).thenComparingInt(g -> g));
    for (int g = 0; g < k; g++) {
      lightest.add(g);
    }
    for (int i : order) {
      int best = lightest.poll();
      groups.get(best).add(i);
      load[best] += weight.applyAsLong(items.get(i));
      lightest.add(best);
    }
    List<List<T>> out = new ArrayList<>(k);
    for (List<Integer> g : groups) {
      g.sort(Comparator.naturalOrder());
      List<T> l = new ArrayList<>(g.size());
      for (int i : g) {
        l.add(items.get(i));
      }
      out.add(l);
    }
    return out;
  }

  /**
   * The manifest of the plan's tensors from the receipts of their files; for a packed format, with each region's
   * position in its file, as {@code layout} (null otherwise) places it.
   */
  static Manifest manifest(Plan plan, long seed, FileFormat format, List<Receipt> receipts,
      SafetensorsLayout layout) {
    List<Receipt> sorted = new ArrayList<>(receipts);
    sorted.sort(Comparator.<Receipt>comparingInt(r -> r.tensor).thenComparingLong(r -> r.start));
    List<TensorEntry> tensors = new ArrayList<>();
    int k = 0;
    for (Plan.TensorPlan t : plan.tensors()) {
      List<FileEntry> files = new ArrayList<>();
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
        long offset = layout == null ? -1 : layout.positionOf(t.index(), r.start);
        files.add(new FileEntry(r.path, r.start, r.end, r.rows, r.bytes, r.crc32c, r.min, r.max, r.mean, r.std,
            offset));
      }
      if (covered != t.init().target().numel()) {
        throw new IllegalStateException("tensor " + t.init().target().name() + ": only " + covered + " of "
            + t.init().target().numel() + " elements written");
      }
      tensors.add(TensorEntry.of(t.init(), t.dir(), crc, files));
    }
    return Manifest.of(seed, format, layout == null ? null : plan.maxFileBytes(), tensors);
  }

  /**
   * Deletes every file in a tensor directory under {@code dir} that no receipt names: temporary files of failed
   * or losing attempts. Files at the top level (the run's claim) are not a task's.
   */
  static void removeStrays(FileSystem fs, Path dir, List<Receipt> receipts) throws IOException {
    Set<String> keep = new HashSet<>();
    for (Receipt r : receipts) {
      keep.add(r.path);
    }
    for (FileStatus d : fs.listStatus(dir)) {
      if (d.isDirectory()) {
        for (FileStatus f : fs.listStatus(d.getPath())) {
          String rel = d.getPath().getName() + "/" + f.getPath().getName();
          if (!keep.contains(rel)) {
            fs.delete(f.getPath(), true);
          }
        }
      }
    }
  }
}
