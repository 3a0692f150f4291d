package dev.shardinit.spark;

import dev.shardinit.format.FileFormat;
import dev.shardinit.format.io.Fs;
import dev.shardinit.init.Initializer;
import dev.shardinit.plan.Plan;
import java.io.IOException;
import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.SerializableConfiguration;
import org.apache.spark.util.LongAccumulator;

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
    /** Test fault hook: the index of the shard that fails after its temporary file is written, or -1. */
    final int faultShard;

    Slice(List<Plan.Shard> shards, Map<Integer, Recipe> recipes, int faultShard) {
      this.shards = List.copyOf(shards);
      this.recipes = new HashMap<>(recipes);
      this.faultShard = faultShard;
    }
  }

  private final Broadcast<SerializableConfiguration> conf;
  private final String outUri;
  private final String format;
  private final String runTag;
  private final LongAccumulator shardsDone;
  private final LongAccumulator bytesDone;
  private final boolean faultAlways;
  private final int fillSlots;

  /**
   * @param runTag      marks this run's temporary files (unique across runs, with the task attempt's ids)
   * @param faultAlways test hook: the fault shard fails on every attempt (else on the first only)
   * @param fillSlots   an executor's cores this job's fills may use at once ({@link FillHelpers}); below 2, a
   *     task fills on its own thread only
   */
  GenerateWork(Broadcast<SerializableConfiguration> conf, String outUri, FileFormat format, String runTag, LongAccumulator shardsDone,
      LongAccumulator bytesDone, boolean faultAlways, int fillSlots) {
    this.conf = conf;
    this.outUri = outUri;
    this.format = format.id();
    this.runTag = runTag;
    this.shardsDone = shardsDone;
    this.bytesDone = bytesDone;
    this.faultAlways = faultAlways;
    this.fillSlots = fillSlots;
  }

  @Override
  public List<Receipt> run(Slice in, TaskContext tc) throws IOException {
    String attempt = runTag + "-" + tc.stageId() + "-" + tc.stageAttemptNumber() + "-" + tc.taskAttemptId();
    Path o = new Path(outUri);
    Map<Integer, Initializer> inits = new HashMap<>();
    FillHelpers helpers = fillSlots > 1 ? FillHelpers.shared(fillSlots) : null;
    boolean filling = false;
    try {
      FileSystem fs = Fs.of(o, conf.value().value());
      try (ShardWriter w = new ShardWriter(fs, o, FileFormat.parse(format), attempt, s -> shardsDone.add(1),
          bytesDone::add, ShardWriter.CHUNK_BYTES, helpers)) {
        if (helpers != null) {
          helpers.enter();
          filling = true;
        }
        for (int k = 0; k < in.shards.size(); k++) {
          Plan.Shard s = in.shards.get(k);
          Initializer init = inits.computeIfAbsent(s.tensor(), i -> in.recipes.get(i).resolve());
          boolean inject = k == in.faultShard && (faultAlways || tc.attemptNumber() == 0);
          w.submit(init, s, inject);
        }
        if (filling) {
          filling = false;
          helpers.exit(); // this thread only waits for the last file now: its core is free for another task's fill
        }
        return w.finish();
      }
    } finally {
      if (filling) {
        helpers.exit();
      }
    }
  }
}
