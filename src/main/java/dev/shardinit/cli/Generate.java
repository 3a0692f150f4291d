package dev.shardinit.cli;

import dev.shardinit.commit.OutputDir;
import dev.shardinit.commit.OutputException;
import dev.shardinit.commit.Run;
import dev.shardinit.format.FileFormat;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.io.Fs;
import dev.shardinit.format.safetensors.SafetensorsLayout;
import dev.shardinit.plan.ByteSize;
import dev.shardinit.plan.Plan;
import dev.shardinit.spark.Generator;
import dev.shardinit.spec.JobSpec;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true,
    description = {"Generates a checkpoint: every tensor of JOB, sharded, into OUT with a manifest.",
        "Without a Spark master (plain java) it runs on embedded local[*]."})
final class Generate implements Callable<Integer> {
  /** Bytes a file takes beyond its values, at most, for the free-space check: footer, metadata, pages. */
  static final long FILE_OVERHEAD = 64 << 10;
  /** Bytes a row takes beyond its values, at most: its offset, list offsets and levels. */
  static final long ROW_OVERHEAD = 32;

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

  @Option(names = "--overwrite", description = "Replace the checkpoint in OUT (or a dead run's remains) once the "
      + "new one is complete; refused for anything that is not shardinit's.")
  boolean overwrite;

  @Option(names = "--no-space-check", description = "Write even when OUT's file system reports less free space "
      + "than the checkpoint needs.")
  boolean noSpaceCheck;

  @Option(names = "--verbose", description = "Show Spark's and Hadoop's logs on the console.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = cs.commandLine().getErr();
    JobSpec spec = job.spec();
    Plan plan = job.plan(spec);
    job.warn(spec, err);
    if (partitions != null && partitions < 1) {
      throw new CliError("--partitions: must be at least 1, got " + partitions);
    }
    FileFormat format = spec.format();
    SafetensorsLayout layout = job.layout(spec, plan);
    if (layout != null) {
      checkPositional(format);
    }
    long t0 = System.nanoTime();
    OutputDir output;
    try {
      output = OutputDir.of(out, Sessions.hadoopConfiguration());
    } catch (OutputException e) {
      throw new CliError(e.getMessage());
    }
    long needed = plan.totalBytes() + ROW_OVERHEAD * plan.rowCount() + FILE_OVERHEAD * plan.shardCount();
    long files = plan.shardCount();
    if (layout != null) {
      files = layout.files().size();
      needed = 0;
      for (SafetensorsLayout.File f : layout.files()) {
        needed += f.size();
      }
    }
    long genStart;
    long genEnd;
    try (Interrupts signals = Interrupts.install()) {
      Run run;
      try {
        run = output.start(overwrite, needed, !noSpaceCheck);
      } catch (OutputException e) {
        throw new CliError(e.getMessage());
      }
      signals.onSecondSignal(run::ifStoppedNow);
      Progress progress = new Progress(err, System.console() != null,
          layout != null ? "regions written" : "files written", plan.shardCount(),
          plan.totalBytes());
      Manifest manifest;
      try {
        try (Sessions.Handle h = Sessions.open("shardinit generate")) {
          signals.check();
          Generator g = new Generator(h.sc);
          signals.onSignal(g::cancel);
          genStart = System.nanoTime();
          if (layout != null) {
            run.prepare(layout);
          }
          manifest = g.run(plan, spec.seed(), format, layout, run.writeDir(), run.shortId(),
              partitions == null ? 0 : partitions, c -> progress.start(c::firstValue, c::secondValue));
          genEnd = System.nanoTime();
          signals.check();
        }
      } catch (Exception | Error e) {
        progress.finish(false);
        String left = run.abandon();
        if (signals.received()) {
          throw new Failed(signals.exitCode(), "interrupted (" + signals.name() + "): " + left);
        }
        throw new Failed(Main.FAILED, "failed: " + Main.describe(e) + " (" + left + ")");
      }
      progress.finish(true);
      String warning;
      try {
        warning = run.commit(manifest);
      } catch (Exception e) {
        throw new Failed(Main.FAILED, "failed: " + Main.describe(e));
      }
      if (warning != null) {
        err.println("shardinit: warning: " + warning);
      }
      if (signals.received()) {
        throw new Failed(signals.exitCode(), "interrupted (" + signals.name() + ") after the checkpoint was "
            + "committed: " + out + " is complete");
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    double gen = (genEnd - genStart) / 1e9;
    cs.commandLine().getOut().printf(Locale.ROOT,
        "wrote %d tensors in %d files, %s, to %s in %.1f s (writing %.2f s, %.1f MiB/s; the rest is Spark start-up)%n",
        plan.tensors().size(), files, ByteSize.show(plan.totalBytes()), out, secs, gen,
        plan.totalBytes() / gen / (1 << 20));
    return 0;
  }

  /** A packed format's files are filled by positional writes: the output must be on a file system that has them. */
  private void checkPositional(FileFormat format) throws java.io.IOException {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(out);
    org.apache.hadoop.fs.FileSystem fs;
    try {
      fs = Fs.of(p, Sessions.hadoopConfiguration());
    } catch (java.io.IOException | RuntimeException e) {
      return; // OutputDir names what is wrong with the output
    }
    if (Fs.localFile(fs, p) == null) {
      throw new CliError("--out: " + format + " files are assembled by positional writes of many tasks into one "
          + "file, which needs a local or shared POSIX file system (file://); " + fs.getScheme() + ":// is not "
          + "supported for " + format + " yet (write parquet there, or to a local path)");
    }
  }
}
