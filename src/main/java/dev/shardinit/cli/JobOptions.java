package dev.shardinit.cli;

import dev.shardinit.format.FileFormat;
import dev.shardinit.format.TensorEntry;
import dev.shardinit.format.safetensors.Safetensors;
import dev.shardinit.format.safetensors.SafetensorsLayout;
import dev.shardinit.rng.Stream;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import dev.shardinit.model.Models;
import dev.shardinit.plan.Dirs;
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
  @Parameters(index = "0", paramLabel = "JOB", description = "The job spec (YAML or JSON; see docs/JOBS.md), or a "
      + "model's Hugging Face config.json (docs/MODELS.md).")
  String job;

  @Option(names = "--format", paramLabel = "parquet|arrow|safetensors",
      description = "Output file format (default: the job's, else parquet).")
  String format;

  @Option(names = "--seed", paramLabel = "N", description = "Override the job's seed (a model config's is 0).")
  Long seed;

  @Option(names = "--dtype", paramLabel = "D", description = "Override the default dtype: float32, float64, bfloat16, float16.")
  String dtype;

  @Option(names = "--shard-size", paramLabel = "SIZE", defaultValue = "128MiB",
      description = "Target size of a shard file and of a task (default: ${DEFAULT-VALUE}).")
  String shardSize;

  @Option(names = "--max-shard-size", paramLabel = "SIZE",
      description = "safetensors: the most bytes of values in one file, as Hugging Face reads it (5GB = 5*10^9 "
          + "bytes); a larger tensor gets a file of its own (default: " + DEFAULT_MAX_FILE + ").")
  String maxShardSize;

  /** The default largest safetensors file: what the Hugging Face Hub's checkpoints have used for years. */
  static final String DEFAULT_MAX_FILE = "5GB";

  /** The spec with overrides applied; every tensor resolved and checked. */
  JobSpec spec() {
    Path p = Path.of(job);
    JobSpec s = Models.isConfig(p) ? Models.spec(p, seed == null ? 0L : seed) : JobSpec.load(p);
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

  /**
   * The files of a packed plan with their headers, or null for a format of a file per shard; a header larger than
   * readers take is an error of the maximum file size.
   */
  SafetensorsLayout layout(JobSpec s, Plan plan) {
    if (!s.format().packed()) {
      return null;
    }
    List<TensorEntry> tensors = new ArrayList<>();
    for (Plan.TensorPlan t : plan.tensors()) {
      tensors.add(TensorEntry.of(t.init(), null, 0, List.of()));
    }
    try {
      return SafetensorsLayout.of(tensors, s.seed(), Stream.SPEC_VERSION, plan.maxFileBytes());
    } catch (IllegalArgumentException e) {
      throw new CliError("--max-shard-size: " + e.getMessage());
    }
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
    if (maxShardSize != null && !s.format().packed()) {
      throw new CliError("--max-shard-size: applies to --format safetensors only; the format is " + s.format()
          + " (--shard-size sets the size of its files)");
    }
    try {
      if (s.format().packed()) {
        for (int t = 0; t < inits.size(); t++) {
          String problem = Safetensors.nameProblem(inits.get(t).target().name());
          if (problem != null) {
            TensorSpec ts = s.tensors().get(t);
            throw new SpecException(s.file(), List.of(SpecException.label(ts.location(), ts.name()) + ": name: "
                + problem));
          }
        }
        long max = Sizes.decimal("--max-shard-size", maxShardSize == null ? DEFAULT_MAX_FILE : maxShardSize);
        return Plan.packed(inits, bytes, max, Safetensors::fileName);
      }
      return Plan.of(inits, bytes, s.format().extension());
    } catch (Dirs.NameException e) {
      TensorSpec t = s.tensors().get(e.tensor());
      throw new SpecException(s.file(), List.of(SpecException.label(t.location(), t.name()) + ": name: "
          + e.getMessage()));
    } catch (Plan.TooManyFilesException e) {
      throw new CliError("--shard-size: " + e.getMessage());
    }
  }
}
