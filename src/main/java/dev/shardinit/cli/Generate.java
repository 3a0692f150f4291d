package dev.shardinit.cli;

import dev.shardinit.format.FileFormat;
import dev.shardinit.format.Manifest;
import dev.shardinit.plan.Plan;
import dev.shardinit.spark.Fs;
import dev.shardinit.spark.Generator;
import dev.shardinit.spark.Progress;
import dev.shardinit.spark.ShardWriter;
import dev.shardinit.spark.Warmup;
import dev.shardinit.spec.JobSpec;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
    description = {"Generates a checkpoint: every tensor of JOB, sharded, into OUT with a manifest.",
        "Without a Spark master (plain java) it runs on embedded local[*]."})
final class Generate implements Callable<Integer> {
  /** A hidden file marking an output directory as shardinit's while a run is in progress. */
  static final String RUN_MARKER = ".shardinit-run";

  @Spec
  CommandSpec cs;

  @Mixin
  JobOptions job;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Output directory: a path or any Hadoop FileSystem URI (file://, hdfs://, s3a://).")
  String out;

  @Option(names = "--partitions", paramLabel = "N",
      description = "Number of Spark partitions (default: the cluster's default parallelism, one per core).")
  Integer partitions;

  @Option(names = "--overwrite", description = "Replace OUT if it holds a shardinit checkpoint or a failed run.")
  boolean overwrite;

  private long genStart;
  private long genEnd;

  @Override
  public Integer call() throws Exception {
    JobSpec spec = job.spec();
    Plan plan = job.plan(spec);
    if (partitions != null && partitions < 1) {
      throw new CliError("--partitions: must be at least 1, got " + partitions);
    }
    FileFormat format = FileFormat.parse(spec.format());
    long t0 = System.nanoTime();
    String scheme = new Path(out).toUri().getScheme(); // a guess before Spark's configuration is known
    boolean localOut = scheme == null || scheme.equals("file");
    Thread warmup = Warmup.start(plan, format, ShardWriter.streams(format, localOut));
    try (Sessions.Handle h = Sessions.open("shardinit generate")) {
      Path outPath = new Path(out);
      FileSystem fs = Fs.of(outPath, h.sc.hadoopConfiguration());
      prepare(fs, outPath);
      Progress progress = new Progress(System.err, System.console() != null, plan.shardCount(), plan.totalBytes());
      boolean ok = false;
      // The clock starts before waiting for the warm-up: what is left of it once Spark is up is the job's work.
      genStart = System.nanoTime();
      warmup.join(10_000); // at most a few seconds, and only when Spark started faster than that
      warmup.interrupt();
      try {
        Generator.run(h.sc, plan, spec.seed(), format, outPath, partitions == null ? 0 : partitions, progress::start);
        fs.delete(new Path(outPath, RUN_MARKER), false);
        genEnd = System.nanoTime();
        ok = true;
      } finally {
        progress.finish(ok);
        if (!ok) {
          fs.delete(outPath, true); // a failed run leaves nothing that could pass for a checkpoint
        }
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    double gen = (genEnd - genStart) / 1e9;
    cs.commandLine().getOut().printf(Locale.ROOT,
        "wrote %d tensors in %d files, %s, to %s in %.1f s (writing %.2f s, %.1f MiB/s; the rest is Spark start-up)%n",
        plan.tensors().size(), plan.shardCount(), Progress.size(plan.totalBytes()), out, secs, gen,
        plan.totalBytes() / gen / (1 << 20));
    return 0;
  }

  /** Checks and creates the output directory; nothing is created when a check fails. */
  private void prepare(FileSystem fs, Path outPath) {
    try {
      if (fs.exists(outPath)) {
        FileStatus st = fs.getFileStatus(outPath);
        if (!st.isDirectory()) {
          throw new CliError("--out: " + out + " exists and is not a directory");
        }
        if (!overwrite) {
          throw new CliError("--out: output directory " + out + " exists (pass --overwrite to replace it)");
        }
        boolean ours = fs.exists(new Path(outPath, Manifest.FILE)) || fs.exists(new Path(outPath, RUN_MARKER))
            || fs.listStatus(outPath).length == 0;
        if (!ours) {
          throw new CliError("--out: refusing to overwrite " + out + ": it is not a shardinit checkpoint");
        }
        fs.delete(outPath, true);
      }
      if (!fs.mkdirs(outPath)) {
        throw new CliError("--out: cannot create output directory " + out);
      }
      try {
        fs.create(new Path(outPath, RUN_MARKER), true).close();
      } catch (IOException e) {
        fs.delete(outPath, true);
        throw e;
      }
    } catch (IOException e) {
      throw new CliError("--out: cannot create output directory " + out + ": " + e.getMessage());
    }
  }
}
