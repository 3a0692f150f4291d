package dev.shardinit.cli;

import dev.shardinit.commit.OutputDir;
import dev.shardinit.commit.OutputException;
import dev.shardinit.commit.Run;
import dev.shardinit.format.ConfigFile;
import dev.shardinit.format.FileFormat;
import dev.shardinit.format.Manifest;
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
    OutputDir output = CheckpointRun.output(out);
    long needed = plan.totalBytes() + ROW_OVERHEAD * plan.rowCount() + FILE_OVERHEAD * plan.shardCount();
    long files = plan.shardCount();
    if (layout != null) {
      files = layout.files().size();
      needed = layout.size();
    }
    Progress progress = new Progress(err, System.console() != null,
        layout != null ? "regions written" : "files written", plan.shardCount(), plan.totalBytes());
    CheckpointRun.Times times = CheckpointRun.execute(output, out, overwrite, needed, !noSpaceCheck,
        "shardinit generate", progress, err, (run, sc, onCancel, onStart) -> {
          Generator g = new Generator(sc);
          onCancel.accept(g::cancel);
          if (layout != null) {
            run.prepare(layout);
          }
          Manifest m = g.run(plan, spec.seed(), format, layout, run.writeDir(), run.shortId(),
              partitions == null ? 0 : partitions, onStart);
          return spec.config() == null ? m
              : m.withConfig(ConfigFile.write(run.fs(), run.writeDir(), spec.config()));
        });
    double secs = times.seconds();
    double gen = times.jobSeconds();
    cs.commandLine().getOut().printf(Locale.ROOT,
        "wrote %d tensors in %d files, %s, to %s in %.1f s (writing %.2f s, %.1f MiB/s; the rest is Spark start-up)%n",
        plan.tensors().size(), files, ByteSize.show(plan.totalBytes()), out, secs, gen,
        plan.totalBytes() / gen / (1 << 20));
    return 0;
  }
}
