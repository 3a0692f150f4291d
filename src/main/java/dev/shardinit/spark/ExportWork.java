package dev.shardinit.spark;

import dev.shardinit.format.FileEntry;
import dev.shardinit.format.FileFormat;
import dev.shardinit.format.io.Fs;
import dev.shardinit.init.Dtype;
import dev.shardinit.task.Destination;
import dev.shardinit.task.Receipt;
import dev.shardinit.task.RegionCopy;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/** An export task: copies files of a checkpoint into their regions of packed files ({@link RegionCopy}). */
final class ExportWork implements WorkJob.Work<WorkJob.Batch<ExportWork.Item>, Receipt> {
  private static final long serialVersionUID = 1L;

  /** One file to copy: its tensor (index, name, dtype), its entry, and where its values go. */
  static final class Item implements Serializable {
    private static final long serialVersionUID = 1L;
    final int tensor;
    final String name;
    final String dtype;
    final FileEntry src;
    final String dst;
    final long dataOffset;

    Item(int tensor, String name, Dtype dtype, FileEntry src, String dst, long dataOffset) {
      this.tensor = tensor;
      this.name = name;
      this.dtype = dtype.id();
      this.src = src;
      this.dst = dst;
      this.dataOffset = dataOffset;
    }
  }


  private final Broadcast<SerializableConfiguration> conf;
  private final String srcUri;
  private final String srcFormat;
  private final String outUri;
  private final String runTag;
  private final LongAccumulator filesDone;
  private final LongAccumulator bytesDone;
  private final HashMap<String, Long> dataStarts;

  /** @param dataStarts the position of each packed file's data section, by name */
  ExportWork(Broadcast<SerializableConfiguration> conf, String srcUri, FileFormat srcFormat, String outUri,
      String runTag, LongAccumulator filesDone, LongAccumulator bytesDone, Map<String, Long> dataStarts) {
    this.dataStarts = new HashMap<>(dataStarts);
    this.conf = conf;
    this.srcUri = srcUri;
    this.srcFormat = srcFormat.id();
    this.outUri = outUri;
    this.runTag = runTag;
    this.filesDone = filesDone;
    this.bytesDone = bytesDone;
  }

  @Override
  public List<Receipt> run(WorkJob.Batch<ExportWork.Item> in, TaskContext tc) throws IOException {
    Path src = new Path(srcUri);
    Path out = new Path(outUri);
    FileSystem srcFs = Fs.of(src, conf.value().value());
    FileSystem outFs = Fs.of(out, conf.value().value());
    FileFormat format = FileFormat.parse(srcFormat);
    String attempt = runTag + "-" + tc.stageId() + "-" + tc.stageAttemptNumber() + "-" + tc.taskAttemptId();
    Destination to = Fs.positional(outFs) ? Destination.regions(outFs, out, runTag, dataStarts)
        : Destination.parts(outFs, out, attempt, runTag);
    List<Receipt> receipts = new ArrayList<>(in.items.size());
    for (Item i : in.items) {
      if (tc.isInterrupted()) {
        throw new java.io.InterruptedIOException("the task was cancelled");
      }
      long bytes = RegionCopy.copy(srcFs, src, format, i.name, Dtype.parse(i.dtype), i.src, to, i.dst, i.dataOffset);
      FileEntry f = i.src;
      receipts.add(new Receipt(i.tensor, i.dst, f.start(), f.end(), 0, bytes, f.crc32c(), f.min(), f.max(), f.mean(),
          f.std()));
      filesDone.add(1);
      bytesDone.add(bytes);
    }
    return receipts;
  }
}
