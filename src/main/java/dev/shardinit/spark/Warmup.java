package dev.shardinit.spark;

import dev.shardinit.format.FileFormat;
import dev.shardinit.format.ShardFiles;
import dev.shardinit.format.io.Fs;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import dev.shardinit.plan.Plan;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.apache.spark.rdd.RDDOperationScope;

/**
 * Compiles the hot loops while Spark starts: a background thread fills, checksums and writes (to a local
 * temporary file, deleted at once) a few million values of each kind of tensor in the plan (initializer and
 * dtype). In local mode the executors run in this JVM and
 * start with compiled code; on a cluster it costs the driver a fraction of a second of otherwise idle time.
 * Nothing it writes stays.
 */
public final class Warmup {
  private static final long VALUES = 1L << 22;

  private Warmup() {}

  /**
   * Starts the warm-up; join the thread (with a timeout) before the job starts.
   *
   * @param streamed whether the job's shards will be streamed ({@link ShardWriter#streams})
   */
  public static Thread start(Plan plan, FileFormat format, boolean streamed) {
    Thread t = new Thread(() -> run(plan, format, streamed), "shardinit-warmup");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void run(Plan plan, FileFormat format, boolean streamed) {
    Set<String> seen = new HashSet<>();
    java.nio.file.Path dir = null;
    try {
      dir = java.nio.file.Files.createTempDirectory("shardinit-warmup");
      fill(plan, format, seen, dir);
      if (Boolean.getBoolean(RECORDING)) {
        otherFormats(plan, format, dir);
      }
      sparkPaths(plan);
      buffers(plan, streamed);
      Thread task = new Thread(Warmup::taskPath, "shardinit-warmup-task");
      task.setDaemon(true);
      task.start();
    } catch (IOException | RuntimeException e) {
      // warming is best effort: the job itself reports real problems
    } finally {
      if (dir != null) {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(dir)) {
          for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
            java.nio.file.Files.deleteIfExists(f);
          }
          java.nio.file.Files.deleteIfExists(dir);
        } catch (IOException e) {
          // a temporary directory left behind is harmless
        }
      }
    }
  }

  /**
   * The code a Spark job runs before its first task, cold in a new JVM (about half a second here): the RDD
   * operation scope's JSON (Jackson's first use: ~0.13 s) and Java serialization of what the job ships (the
   * tasks and the initializers' recipes; {@link ShardJob} hands Spark no closures to clean). Spark-internal
   * entry points: if one moves, this warms less and nothing else changes.
   */
  private static void sparkPaths(Plan plan) throws IOException {
    try {
      new RDDOperationScope("shardinit-warmup", scala.Option.empty(), "0").toJson();
      List<Recipe> recipes = new ArrayList<>();
      for (Plan.TensorPlan t : plan.tensors()) {
        recipes.add(Recipe.of(t.init()));
      }
      List<Plan.Task> tasks = new ArrayList<>(plan.tasks());
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(recipes);
        out.writeObject(tasks);
      }
      try (ObjectInputStream in = new ObjectInputStream(
          new ByteArrayInputStream(bytes.toByteArray()))) {
        in.readObject();
        in.readObject();
      }
      if (!recipes.isEmpty()) {
        recipes.get(0).resolve();
      }
    } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
      // best effort: a different Spark build only warms less
    }
  }

  /**
   * What the job's first task needs that nothing before it builds, cold: the serial descriptors of what the task
   * carries, and (in local mode, where the task runs in this JVM) the Hadoop configuration Spark's task start
   * loads for its caller context (its XML files parsed: ~0.1 s). Runs in a thread of its own that the job does
   * not wait for: what is not ready when the job needs it, the job builds (or waits for) itself.
   */
  private static void taskPath() {
    for (String name : TASK_CLASSES) {
      try {
        ObjectStreamClass d = ObjectStreamClass.lookup(Class.forName(name, false, Warmup.class.getClassLoader()));
        if (d != null) {
          d.getSerialVersionUID();
        }
      } catch (ClassNotFoundException | LinkageError | RuntimeException e) {
        // a class another Spark version does not have: nothing to warm
      }
    }
    try {
      if (localMaster()) {
        SparkHadoopUtil.get().conf().size();
      }
    } catch (LinkageError | RuntimeException e) {
      // best effort, as above
    }
  }

  /**
   * The classes Java serialization meets in a generate job's first task (the ResultTask, its task metrics and
   * broadcast, the RDD and its function; Spark 4.2, listed with a deserialization filter). Their serial
   * descriptors are built once per JVM, cold: the fields by reflection, a default serialVersionUID where a class
   * declares none (a SHA-1 over its members: Spark's RDD has hundreds) and a generated constructor each. Built
   * here, the scheduler's serialization of the task and the task's deserialization find them made. Scala
   * objects (names ending in $) are left out: looking a class up initialises it, and objects are initialised by
   * Spark's own start, on the main thread.
   */
  private static final String[] TASK_CLASSES = {
    "org.apache.spark.scheduler.ResultTask", "org.apache.spark.scheduler.Task",
    "org.apache.spark.scheduler.DirectTaskResult", "org.apache.spark.JobArtifactSet",
    "org.apache.spark.broadcast.TorrentBroadcast", "org.apache.spark.broadcast.Broadcast",
    "org.apache.spark.storage.BroadcastBlockId", "org.apache.spark.storage.StorageLevel",
    "org.apache.spark.executor.TaskMetrics", "org.apache.spark.executor.InputMetrics",
    "org.apache.spark.executor.OutputMetrics", "org.apache.spark.executor.ShuffleReadMetrics",
    "org.apache.spark.executor.ShuffleWriteMetrics", "org.apache.spark.util.AccumulatorV2",
    "org.apache.spark.util.AccumulatorMetadata", "org.apache.spark.util.LongAccumulator",
    "org.apache.spark.util.CollectionAccumulator", "org.apache.spark.rdd.RDD", "org.apache.spark.rdd.RDD$$anon$1",
    "scala.Option", "scala.Some", "scala.Tuple2", "scala.Enumeration", "scala.Enumeration$Val",
    "scala.Enumeration$Value", "scala.reflect.ClassTag$GenericClassTag", "scala.runtime.ModuleSerializationProxy",
    "scala.collection.generic.DefaultSerializationProxy", "scala.collection.IterableFactory$ToFactory",
    "java.util.concurrent.locks.ReentrantReadWriteLock$ReadLock",
    "java.util.concurrent.locks.ReentrantReadWriteLock$WriteLock",
    "java.util.concurrent.locks.ReentrantReadWriteLock$NonfairSync", "java.lang.Integer", "[B", "[I",
    "dev.shardinit.spark.ShardJob", "dev.shardinit.spark.ShardJob$Slot", "dev.shardinit.spark.ShardJob$ToArray",
    "dev.shardinit.spark.Receipt", "[Ldev.shardinit.spark.Receipt;",
  };

  /**
   * In local mode (this JVM runs the tasks), the buffers the job's writers will take, allocated now, while the
   * core is otherwise idle (fresh memory costs ~4 us a 4 KiB page here): each writer's chunks when shards are
   * streamed, else two shard buffers per core, as many as the shards need; no more than half the heap.
   */
  private static void buffers(Plan plan, boolean streamed) {
    if (!localMaster()) {
      return;
    }
    long largest = 0;
    int shards = 0;
    for (Plan.TensorPlan t : plan.tensors()) {
      for (Plan.Shard s : t.shards()) {
        largest = Math.max(largest, s.bytes());
        shards++;
      }
    }
    int cores = Runtime.getRuntime().availableProcessors();
    int count = streamed ? Math.min(shards, cores) * ShardWriter.CHUNKS : Math.min(shards, 2 * cores);
    if (streamed) {
      largest = ShardWriter.CHUNK_BYTES;
    }
    if (largest == 0 || largest > Integer.MAX_VALUE || count * largest > Runtime.getRuntime().maxMemory() / 2) {
      return;
    }
    ShardBuffers.prepare(count, (int) largest);
  }

  /** Whether this JVM runs the tasks: Spark's master (from the system properties, as Spark reads it) is local. */
  private static boolean localMaster() {
    return new SparkConf().get("spark.master", "local[*]").startsWith("local");
  }

  /**
   * Set (to true) by the launcher in the run that records its class-data archive: the warm-up then also writes
   * and reads a small file in every other format, so the archive holds both formats' classes. Without them, a
   * later Arrow job loaded Arrow's classes from their jars, and its warm-up's first write took longer (cold, in
   * a bare JVM: Arrow 450-590 ms, Parquet 380-420 ms).
   */
  public static final String RECORDING = "shardinit.cds.recording";

  private static void otherFormats(Plan plan, FileFormat format, java.nio.file.Path dir) throws IOException {
    FileSystem fs = Fs.local(new Configuration(false)); // no XML to parse: a local FS needs no settings
    Dtype dt = plan.tensors().isEmpty() ? Dtype.FLOAT32 : plan.tensors().get(0).init().target().dtype();
    ByteBuffer b = ByteBuffer.allocate(4096 * dt.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    for (FileFormat other : FileFormat.values()) {
      if (other != format) {
        Path f = new Path(dir.resolve("other-" + other.id()).toUri());
        ShardFiles.write(fs, f, other, dt, 0, new long[] {4096}, b, Map.of());
        ShardFiles.read(fs, f, other);
        fs.delete(f, false);
      }
    }
  }

  /**
   * Writes the first few million values of each kind of tensor three times, through a {@link ShardWriter} as
   * the job's tasks do (so the code compiled is the job's, streaming included).
   */
  private static void fill(Plan plan, FileFormat format, Set<String> seen, java.nio.file.Path dir)
      throws IOException {
    FileSystem fs = Fs.local(new Configuration(false)); // no XML to parse: a local FS needs no settings
    int file = 0;
    for (Plan.TensorPlan tp : plan.tensors()) {
      Initializer init = tp.init();
      String kind = init.fn() + "/" + init.target().dtype();
      if (init.fn().equals("orthogonal_") || init.target().numel() < 4096 || !seen.add(kind)) {
        continue; // orthogonal_ would build its whole matrix; tiny tensors warm nothing
      }
      Plan.Shard first = Plan.of(List.of(init), VALUES * init.target().dtype().bytes(), format.extension())
          .tensors().get(0).shards().get(0);
      for (int round = 0; round < 3 && !Thread.currentThread().isInterrupted(); round++) {
        Path out = new Path(dir.resolve("w" + file++).toUri());
        try (ShardWriter w = new ShardWriter(fs, out, format, "warmup", s -> { }, b -> { })) {
          w.submit(init, first, false);
          w.finish();
        }
        fs.delete(out, true);
      }
    }
  }
}
