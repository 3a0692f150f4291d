package dev.shardinit.cli;

import dev.shardinit.format.FileFormat;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import dev.shardinit.plan.Plan;
import dev.shardinit.spec.JobSpec;
import dev.shardinit.spec.SpecException;
import dev.shardinit.spec.TensorSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What generate and plan share: the job spec, its overrides and the shard size. */
final class JobOptions {
  @Parameters(index = "0", paramLabel = "JOB", description = "The job spec (YAML or JSON; see docs/JOBS.md).")
  String job;

  @Option(names = "--format", paramLabel = "parquet|arrow", description = "Output file format (default: the job's, else parquet).")
  String format;

  @Option(names = "--seed", paramLabel = "N", description = "Override the job's seed.")
  Long seed;

  @Option(names = "--dtype", paramLabel = "D", description = "Override the default dtype: float32, float64, bfloat16, float16.")
  String dtype;

  @Option(names = "--shard-size", paramLabel = "SIZE", defaultValue = "128MiB",
      description = "Target size of a shard file and of a task (default: ${DEFAULT-VALUE}).")
  String shardSize;

  /** The spec with overrides applied; every tensor resolved and checked. */
  JobSpec spec() {
    JobSpec s = JobSpec.load(Path.of(job));
    if (seed != null) {
      s = s.withSeed(seed);
    }
    if (dtype != null) {
      try {
        s = s.withDtype(Dtype.parse(dtype));
      } catch (IllegalArgumentException e) {
        if (e instanceof SpecException) {
          throw e;
        }
        throw new CliError("--dtype: " + e.getMessage());
      }
    }
    if (format != null) {
      try {
        s = s.withFormat(FileFormat.parse(format));
      } catch (IllegalArgumentException e) {
        throw new CliError("--format: " + e.getMessage());
      }
    }
    return s;
  }

  /** Prints the warnings torch would give for the spec's initializers, one line each. */
  void warn(JobSpec s, PrintWriter err) {
    for (String w : s.warnings()) {
      err.println("shardinit: warning: " + job + ": " + w);
    }
    err.flush();
  }

  /**
   * The plan of the spec at the shard size; a tensor whose name the checkpoint layout cannot hold is a spec
   * error naming it, and a plan of too many files an error of the shard size.
   */
  Plan plan(JobSpec s) {
    long bytes = Sizes.parse("--shard-size", shardSize);
    List<Initializer> inits = new ArrayList<>();
    for (TensorSpec t : s.tensors()) {
      inits.add(t.resolve(s.seed()));
    }
    try {
      return Plan.of(inits, bytes, s.format().extension());
    } catch (Plan.NameException e) {
      TensorSpec t = s.tensors().get(e.tensor());
      throw new SpecException(s.file(), List.of(SpecException.label(t.location(), t.name()) + ": name: "
          + e.getMessage()));
    } catch (Plan.TooManyFilesException e) {
      throw new CliError("--shard-size: " + e.getMessage());
    }
  }
}
