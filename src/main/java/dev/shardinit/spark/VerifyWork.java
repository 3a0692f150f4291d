package dev.shardinit.spark;

import dev.shardinit.format.FileEntry;
import dev.shardinit.format.FileFormat;
import dev.shardinit.format.io.Fs;
import dev.shardinit.init.Initializer;
import dev.shardinit.task.FileCheck;
import dev.shardinit.task.Recipe;
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
import org.apache.spark.util.SerializableConfiguration;
import org.apache.spark.util.LongAccumulator;

/** A verify task: checks the files of its slice against their regeneration ({@link FileCheck}). */
final class VerifyWork implements WorkJob.Work<WorkJob.Batch<VerifyWork.Item>, FileCheck.Outcome> {
  private static final long serialVersionUID = 1L;

  /** One file to check: its tensor's call and its manifest entry. */
  static final class Item implements Serializable {
    private static final long serialVersionUID = 1L;
    final Recipe recipe;
    final FileEntry file;

    Item(Recipe recipe, FileEntry file) {
      this.recipe = recipe;
      this.file = file;
    }
  }


  private final Broadcast<SerializableConfiguration> conf;
  private final String rootUri;
  private final String format;
  private final int formatVersion;
  private final LongAccumulator filesDone;
  private final LongAccumulator bytesDone;

  VerifyWork(Broadcast<SerializableConfiguration> conf, String rootUri, FileFormat format, int formatVersion,
      LongAccumulator filesDone, LongAccumulator bytesDone) {
    this.conf = conf;
    this.rootUri = rootUri;
    this.format = format.id();
    this.formatVersion = formatVersion;
    this.filesDone = filesDone;
    this.bytesDone = bytesDone;
  }

  @Override
  public List<FileCheck.Outcome> run(WorkJob.Batch<VerifyWork.Item> in, TaskContext tc) throws IOException {
    Path root = new Path(rootUri);
    FileSystem fs = Fs.of(root, conf.value().value());
    FileFormat f = FileFormat.parse(format);
    Map<String, Initializer> inits = new HashMap<>();
    List<FileCheck.Outcome> out = new ArrayList<>(in.items.size());
    for (Item item : in.items) {
      Initializer init = inits.computeIfAbsent(item.recipe.name(), k -> item.recipe.resolve());
      out.add(FileCheck.check(fs, new Path(root, item.file.path()), f, formatVersion, init, item.file,
          bytesDone::add));
      filesDone.add(1);
    }
    return out;
  }
}
