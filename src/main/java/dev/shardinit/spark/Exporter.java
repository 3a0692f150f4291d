package dev.shardinit.spark;

import dev.shardinit.format.FileEntry;
import dev.shardinit.format.FileFormat;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.TensorEntry;
import dev.shardinit.format.io.Fs;
import dev.shardinit.format.safetensors.SafetensorsLayout;
import dev.shardinit.task.Receipt;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.util.SerializableConfiguration;

/**
 * The driver of an export: copies every file of a Parquet or Arrow checkpoint into its region of the packed files
 * of {@code layout} ({@link ExportWork}), which the run has prepared under its temporary names, and returns the
 * manifest of the packed checkpoint: the same tensors, each file now a region with its position.
 */
public final class Exporter {
  private final SparkContext sc;
  private final JobGroup jobs;

  public Exporter(SparkContext sc) {
    this.sc = sc;
    this.jobs = new JobGroup(sc);
  }

  /** Cancels the running job, if any (from any thread). */
  public void cancel() {
    jobs.cancel();
  }

  /**
   * @param src        the source checkpoint's directory and manifest {@code m}, whose entries passed the checks
   * @param maxFileBytes the packed files' maximum, as {@code layout} was made with
   * @param onStart    given the job's live counters (files copied, bytes written) when it starts
   */
  public Manifest run(Manifest m, Path src, SafetensorsLayout layout, long maxFileBytes, Path out, String runTag,
      int partitions, Consumer<LiveCounters> onStart) throws IOException {
    List<ExportWork.Item> items = new ArrayList<>();
    for (int t = 0; t < m.tensors().size(); t++) {
      TensorEntry e = m.tensors().get(t);
      for (FileEntry f : e.files()) {
        items.add(new ExportWork.Item(t, e.name(), e.dtype(), f, layout.fileOf(t),
            layout.dataOffsetOf(t, f.start())));
      }
    }
    List<WorkJob.Batch<ExportWork.Item>> slices = WorkJob.batches(items,
        partitions > 0 ? partitions : sc.defaultParallelism(), i -> i.src.elements());
    List<Receipt> receipts = new ArrayList<>();
    LiveCounters counters = new LiveCounters(sc, "shardinit.exported.files", "shardinit.exported.bytes").start();
    try {
      if (onStart != null) {
        onStart.accept(counters);
      }
      if (!items.isEmpty()) {
        ExportWork work = new ExportWork(SerializableConfiguration.broadcast(sc), src.toUri().toString(),
            m.fileFormat(), out.toUri().toString(), runTag, counters.first(), counters.second(),
            layout.dataStarts());
        receipts.addAll(jobs.run(new WorkJob<>(sc, slices, work), "shardinit export: " + items.size() + " files"));
      }
    } finally {
      counters.stop();
    }
    if (!Fs.positional(Fs.of(out, sc.hadoopConfiguration()))) {
      Assembler.run(sc, jobs, layout, receipts, out, runTag);
    }
    receipts.sort(Comparator.<Receipt>comparingInt(r -> r.tensor).thenComparingLong(r -> r.start));
    List<TensorEntry> tensors = new ArrayList<>();
    int k = 0;
    for (int t = 0; t < m.tensors().size(); t++) {
      TensorEntry e = m.tensors().get(t);
      List<FileEntry> files = new ArrayList<>();
      for (; k < receipts.size() && receipts.get(k).tensor == t; k++) {
        Receipt r = receipts.get(k);
        files.add(new FileEntry(r.path, r.start, r.end, 0, r.bytes, r.crc32c, r.min, r.max, r.mean, r.std,
            layout.positionOf(t, r.start)));
      }
      if (files.size() != e.files().size()) {
        throw new IllegalStateException("tensor " + e.name() + ": " + files.size() + " of " + e.files().size()
            + " files exported");
      }
      tensors.add(new TensorEntry(e.name(), e.shape(), e.dtype(), e.fn(), e.args(), e.paddingIdx(), e.gain(), e.fanIn(), e.fanOut(),
          e.std(), e.bound(), e.numel(), e.crc32c(), null, files));
    }
    return new Manifest(Manifest.FORMAT_VERSION, m.specVersion(), m.seed(), FileFormat.SAFETENSORS, m.pieceCap(),
        maxFileBytes, tensors, m.config());
  }
}
