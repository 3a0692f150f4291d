package dev.shardinit.spark;

import dev.shardinit.format.FileFormat;
import dev.shardinit.init.Initializer;
import dev.shardinit.plan.Plan;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Dependency;
import org.apache.spark.Partition;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.util.LongAccumulator;
import scala.collection.immutable.Nil$;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * The generate job as an RDD of its own: partition i writes the shards of group i with a {@link ShardWriter} and
 * yields their receipts. Built this way rather than with {@code parallelize(...).mapPartitions(...).collect()},
 * the job hands Spark no Scala closures: Spark's closure cleaner parses the class file of every closure's
 * declaring class with ASM (JavaRDDLike, RDD, SparkContext), which in a fresh JVM is about a tenth of a second
 * of the first job's start.
 */
final class ShardJob extends RDD<Receipt> {
  private static final long serialVersionUID = 1L;

  private final List<List<Plan.Task>> groups;
  private final List<Recipe> recipes;
  private final byte[] conf; // Fs.bytes
  private final String outUri;
  private final String format;
  private final LongAccumulator shardsDone;
  private final LongAccumulator bytesDone;
  private final boolean fault;
  private final boolean always;
  private final int fillSlots;

  /**
   * @param fault  test hook: fail the first shard of the first task after writing it, on the first attempt
   * @param always test hook: on every attempt
   * @param fillSlots an executor's cores this job's fills may use at once ({@link FillHelpers}); below 2, a task
   *     fills on its own thread only
   */
  ShardJob(SparkContext sc, List<List<Plan.Task>> groups, List<Recipe> recipes, byte[] conf,
      String outUri, FileFormat format, LongAccumulator shardsDone, LongAccumulator bytesDone, boolean fault,
      boolean always, int fillSlots) {
    super(sc, noDependencies(), ClassTag$.MODULE$.apply(Receipt.class));
    this.groups = groups;
    this.recipes = recipes;
    this.conf = conf;
    this.outUri = outUri;
    this.format = format.id();
    this.shardsDone = shardsDone;
    this.bytesDone = bytesDone;
    this.fault = fault;
    this.always = always;
    this.fillSlots = fillSlots;
  }

  @SuppressWarnings("unchecked")
  private static scala.collection.immutable.Seq<Dependency<?>> noDependencies() {
    return (scala.collection.immutable.Seq<Dependency<?>>) (Object) Nil$.MODULE$;
  }

  /** Runs every partition and returns the receipts in partition order. */
  Receipt[][] run() {
    Receipt[][] results = new Receipt[groups.size()][];
    context().runJob(this, new ToArray(), new scala.collection.immutable.Range.Exclusive(0, groups.size(), 1),
        new Store(results), ClassTag$.MODULE$.apply(Receipt[].class));
    return results;
  }

  @Override
  public Partition[] getPartitions() {
    Partition[] p = new Partition[groups.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = new Slot(i);
    }
    return p;
  }

  @Override
  public scala.collection.Iterator<Receipt> compute(Partition split, TaskContext tc) {
    String attempt = "attempt-" + tc.stageId() + "-" + tc.stageAttemptNumber() + "-" + tc.taskAttemptId();
    Path o = new Path(outUri);
    Map<Integer, Initializer> inits = new HashMap<>();
    FillHelpers helpers = fillSlots > 1 ? FillHelpers.shared(fillSlots) : null;
    boolean filling = false;
    try {
      FileSystem fs = Fs.of(o, Fs.fromBytes(conf));
      try (ShardWriter w = new ShardWriter(fs, o, FileFormat.parse(format), attempt, s -> {
        shardsDone.add(1);
        bytesDone.add(s.bytes());
      }, ShardWriter.CHUNK_BYTES, helpers)) {
        if (helpers != null) {
          helpers.enter();
          filling = true;
        }
        for (Plan.Task task : groups.get(split.index())) {
          for (Plan.Shard s : task.shards()) {
            Initializer init = inits.computeIfAbsent(s.tensor(), i -> recipes.get(i).resolve());
            boolean inject = fault && (always || tc.attemptNumber() == 0) && task.index() == 0
                && s == task.shards().get(0);
            w.submit(init, s, inject);
          }
        }
        if (filling) {
          filling = false;
          helpers.exit(); // this thread only waits for the last file now: its core is free for another task's fill
        }
        return CollectionConverters.asScala(w.finish().iterator());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    } finally {
      if (filling) {
        helpers.exit();
      }
    }
  }

  /** A partition: its index names its group. */
  private static final class Slot implements Partition {
    private static final long serialVersionUID = 1L;
    private final int index;

    Slot(int index) {
      this.index = index;
    }

    @Override
    public int index() {
      return index;
    }

    @Override
    public int hashCode() {
      return index;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Slot && ((Slot) o).index == index;
    }
  }

  /** What a task sends back: its receipts (a named class, so the closure cleaner has nothing to parse). */
  private static final class ToArray extends AbstractFunction2<TaskContext, scala.collection.Iterator<Receipt>,
      Receipt[]> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Receipt[] apply(TaskContext tc, scala.collection.Iterator<Receipt> it) {
      java.util.List<Receipt> l = new java.util.ArrayList<>();
      while (it.hasNext()) {
        l.add(it.next());
      }
      return l.toArray(new Receipt[0]);
    }
  }

  /** Keeps each partition's receipts, on the driver. */
  private static final class Store extends AbstractFunction2<Object, Receipt[], BoxedUnit> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final transient Receipt[][] results;

    Store(Receipt[][] results) {
      this.results = results;
    }

    @Override
    public BoxedUnit apply(Object partition, Receipt[] receipts) {
      results[(Integer) partition] = receipts;
      return BoxedUnit.UNIT;
    }
  }
}
