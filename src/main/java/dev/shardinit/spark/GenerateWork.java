package dev.shardinit.spark;

import dev.shardinit.format.FileFormat;
import dev.shardinit.format.io.Fs;
import dev.shardinit.init.Initializer;
import dev.shardinit.plan.Plan;
import dev.shardinit.task.Destination;
import dev.shardinit.task.Receipt;
import dev.shardinit.task.Recipe;
import dev.shardinit.task.ShardWriter;
import java.io.IOException;
import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/**
 * A generate task: fills and writes the shards of its {@link Slice} with a {@link ShardWriter} and returns their
 * receipts. Counts the values written and the files placed, as it goes, in two accumulators the driver's
 * progress reads ({@link LiveCounters}).
 */
final class GenerateWork implements WorkJob.Work<GenerateWork.Slice, Receipt> {
  private static final long serialVersionUID = 1L;

  /** A partition's input: its shards in plan order and the recipes of their tensors, nothing else of the plan. */
  static final class Slice implements Serializable {
    private static final long serialVersionUID = 1L;
    final List<Plan.Shard> shards;
    final Map<Integer, Recipe> recipes;

    Slice(List<Plan.Shard> shards, Map<Integer, Recipe> recipes) {
      this.shards = List.copyOf(shards);
      this.recipes = new HashMap<>(recipes);
    }
  }

  private final Broadcast<SerializableConfiguration> conf;
  private final String outUri;
  private final String format;
  private final String runTag;
  private final LongAccumulator shardsDone;
  private final LongAccumulator bytesDone;
  /** For a packed format: the position of each file's data section, by name; else null. */
  private final HashMap<String, Long> dataStarts;

  /**
   * @param runTag     marks this run's temporary files (unique across runs, with the task attempt's ids)
   * @param dataStarts for a packed format, the position of each packed file's data section, by name; else null
   */
  GenerateWork(Broadcast<SerializableConfiguration> conf, String outUri, FileFormat format, String runTag,
      LongAccumulator shardsDone, LongAccumulator bytesDone, Map<String, Long> dataStarts) {
    this.dataStarts = dataStarts == null ? null : new HashMap<>(dataStarts);
    this.conf = conf;
    this.outUri = outUri;
    this.format = format.id();
    this.runTag = runTag;
    this.shardsDone = shardsDone;
    this.bytesDone = bytesDone;
  }

  @Override
  public List<Receipt> run(Slice in, TaskContext tc) throws IOException {
    String attempt = runTag + "-" + tc.stageId() + "-" + tc.stageAttemptNumber() + "-" + tc.taskAttemptId();
    Path o = new Path(outUri);
    FileSystem fs = Fs.of(o, conf.value().value());
    Map<Integer, Initializer> inits = new HashMap<>();
    Destination to = dataStarts == null ? Destination.files(fs, o, attempt)
        : Fs.positional(fs) ? Destination.regions(fs, o, runTag, dataStarts)
        : Destination.parts(fs, o, attempt, runTag);
    try (ShardWriter w = new ShardWriter(to, FileFormat.parse(format), attempt, s -> shardsDone.add(1),
        bytesDone::add)) {
      for (Plan.Shard s : in.shards) {
        w.submit(inits.computeIfAbsent(s.tensor(), i -> in.recipes.get(i).resolve()), s);
      }
      return w.finish();
    }
  }
}
