package dev.shardinit.spark;

import dev.shardinit.format.Manifest;
import dev.shardinit.format.ManifestCheck;
import dev.shardinit.task.FileCheck;
import dev.shardinit.task.Recipe;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.util.SerializableConfiguration;

/** The driver of a verify run: checks the given files of a checkpoint on the cluster ({@link VerifyWork}). */
public final class Verifier {
  private final SparkContext sc;
  private final JobGroup jobs;

  public Verifier(SparkContext sc) {
    this.sc = sc;
    this.jobs = new JobGroup(sc);
  }

  /** Cancels the running job, if any (from any thread). */
  public void cancel() {
    jobs.cancel();
  }

  /** Problems found and elements checked. */
  public record Result(List<String> problems, long elements) {}

  /**
   * Regenerates each of {@code files} and compares it with the file under {@code dir}.
   *
   * @param onStart given the job's live counters (files checked, bytes checked) when it starts
   */
  public Result run(Manifest m, Path dir, List<ManifestCheck.Regenerable> files, int partitions,
      Consumer<LiveCounters> onStart) throws IOException {
    List<String> problems = new ArrayList<>();
    long elements = 0;
    if (files.isEmpty()) {
      return new Result(problems, 0);
    }
    List<VerifyWork.Item> items = new ArrayList<>();
    for (ManifestCheck.Regenerable r : files) {
      items.add(new VerifyWork.Item(Recipe.of(r.tensor().name(), r.tensor().shape(), r.tensor().dtype().id(),
          m.seed(), r.tensor().fn(), r.tensor().args(), r.tensor().paddingIdx()), r.file()));
    }
    List<WorkJob.Batch<VerifyWork.Item>> slices = WorkJob.batches(items,
        partitions > 0 ? partitions : sc.defaultParallelism() * 4, i -> i.file.elements());
    LiveCounters counters = new LiveCounters(sc, "shardinit.verified.files", "shardinit.verified.bytes").start();
    try {
      if (onStart != null) {
        onStart.accept(counters);
      }
      VerifyWork work = new VerifyWork(SerializableConfiguration.broadcast(sc), dir.toUri().toString(), m.fileFormat(),
          m.formatVersion(),
          counters.first(), counters.second());
      for (FileCheck.Outcome o : jobs.run(new WorkJob<>(sc, slices, work), "shardinit verify: " + files.size()
          + " files")) {
        problems.addAll(o.problems);
        elements += o.elements;
      }
    } finally {
      counters.stop();
    }
    return new Result(problems, elements);
  }
}
