package dev.shardinit.cli;

import dev.shardinit.commit.OutputDir;
import dev.shardinit.format.FileFormat;
import dev.shardinit.format.ConfigFile;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.TensorEntry;
import dev.shardinit.format.safetensors.Safetensors;
import dev.shardinit.format.safetensors.SafetensorsLayout;
import dev.shardinit.plan.ByteSize;
import dev.shardinit.spark.Exporter;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Copies a Parquet or Arrow checkpoint into a Hugging Face safetensors checkpoint, in parallel: "
        + "every file is read, its values checked against the manifest's CRC-32C, and written into its place.",
        "The result is byte for byte what generate --format safetensors writes for the same job."})
final class Export implements Callable<Integer> {
  @Spec
  CommandSpec cs;

  @Parameters(index = "0", paramLabel = "DIR", description = "A Parquet or Arrow checkpoint (path or Hadoop URI).")
  String dir;

  @Option(names = "--to", required = true, paramLabel = "safetensors", description = "The format to export to.")
  String to;

  @Option(names = "--out", required = true, paramLabel = "DIR2",
      description = "Output directory: a path or any Hadoop FileSystem URI.")
  String out;

  @Option(names = "--max-shard-size", paramLabel = "SIZE", defaultValue = JobOptions.DEFAULT_MAX_FILE,
      description = "The most bytes of values in one file, as Hugging Face reads it (default: ${DEFAULT-VALUE}).")
  String maxShardSize;

  @Option(names = "--partitions", paramLabel = "N",
      description = "Number of Spark partitions (default: the cluster's default parallelism).")
  Integer partitions;

  @Option(names = "--overwrite", description = "Replace the checkpoint in DIR2 once the new one is complete.")
  boolean overwrite;

  @Option(names = "--no-space-check", description = "Write even when DIR2's file system reports too little space.")
  boolean noSpaceCheck;

  @Option(names = "--verbose", description = "Show Spark's and Hadoop's logs on the console.")
  boolean verbose;

  @Override
  public Integer call() {
    FileFormat format;
    try {
      format = FileFormat.parse(to);
    } catch (IllegalArgumentException e) {
      throw new CliError("--to: " + e.getMessage());
    }
    if (!format.packed()) {
      throw new CliError("--to: export writes safetensors; " + format + " checkpoints are made by generate");
    }
    if (partitions != null && partitions < 1) {
      throw new CliError("--partitions: must be at least 1, got " + partitions);
    }
    long max = Sizes.decimal("--max-shard-size", maxShardSize);
    Checkpoint c = Checkpoint.open(dir, Sessions.hadoopConfiguration());
    Manifest m = c.manifest();
    if (m.fileFormat().packed()) {
      throw new CliError(dir + ": is already a " + m.fileFormat() + " checkpoint");
    }
    List<String> problems = c.problems();
    if (!problems.isEmpty()) {
      throw new CliError(dir + ": its manifest has " + problems.size() + " problem(s), the first: " + problems.get(0)
          + " (shardinit verify " + dir + " lists them)");
    }
    for (TensorEntry t : m.tensors()) {
      String problem = Safetensors.nameProblem(t.name());
      if (problem != null) {
        throw new CliError(dir + ": tensor '" + t.name() + "': " + problem);
      }
    }
    SafetensorsLayout layout;
    try {
      layout = SafetensorsLayout.of(m.tensors(), m.seed(), m.specVersion(), max);
    } catch (IllegalArgumentException e) {
      throw new CliError("--max-shard-size: " + e.getMessage());
    }
    OutputDir output = CheckpointRun.output(out);
    long needed = layout.size();
    long values = 0;
    for (TensorEntry t : m.tensors()) {
      values += t.valueBytes();
    }
    PrintWriter err = cs.commandLine().getErr();
    Progress progress = new Progress(err, System.console() != null, "files copied", m.tensors().stream()
        .mapToLong(t -> t.files().size()).sum(), values);
    CheckpointRun.Times times = CheckpointRun.execute(output, out, overwrite, needed, !noSpaceCheck,
        "shardinit export", progress, err, (run, sc, onCancel, onStart) -> {
          Exporter x = new Exporter(sc);
          onCancel.accept(x::cancel);
          run.prepare(layout);
          Manifest exported = x.run(m, c.dir, layout, max, run.writeDir(), run.shortId(),
              partitions == null ? 0 : partitions, onStart);
          if (m.config() != null) {
            ConfigFile copied = ConfigFile.copy(c.fs, c.dir, m.config(), run.fs(), run.writeDir());
            exported = exported.withConfig(copied);
          }
          return exported;
        });
    cs.commandLine().getOut().printf(Locale.ROOT,
        "exported %d tensors into %d %s files, %s, to %s in %.1f s (copying %.2f s, %.1f MiB/s); every file's "
            + "values matched the manifest's CRC-32C%n",
        m.tensors().size(), layout.files().size(), format, ByteSize.show(values), out, times.seconds(),
        times.jobSeconds(), values / times.jobSeconds() / (1 << 20));
    return 0;
  }
}
