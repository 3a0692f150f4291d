package dev.shardinit.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardinit.format.FileFormat;
import dev.shardinit.init.Dtype;
import dev.shardinit.model.Models;
import dev.shardinit.spec.JobSpec;
import dev.shardinit.spec.SpecYaml;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "spec", mixinStandardHelpOptions = true,
    description = {"Prints the job spec (YAML) of a model's Hugging Face config.json: every tensor with its shape and "
        + "the init transformers gives it, and the config, for review or editing (docs/MODELS.md).",
        "generate CONFIG and generate on the printed spec write the same checkpoint."})
final class SpecCommand implements Callable<Integer> {
  @Spec
  CommandSpec cs;

  @Parameters(index = "0", paramLabel = "CONFIG", description = "The model's config.json.")
  String config;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "The job's seed (default: 0).")
  long seed;

  @Option(names = "--dtype", paramLabel = "D",
      description = "The dtype of the tensors (default: the config's dtype, else float32).")
  String dtype;

  @Option(names = "--format", paramLabel = "parquet|arrow|safetensors",
      description = "The output file format (default: safetensors, which from_pretrained loads).")
  String format;

  @Override
  public Integer call() {
    Path p = Path.of(config);
    ObjectNode tree = Models.specTree(p, seed);
    if (dtype != null) {
      try {
        tree.put("dtype", Dtype.parse(dtype).id());
      } catch (IllegalArgumentException e) {
        throw new CliError("--dtype: " + e.getMessage());
      }
    }
    if (format != null) {
      try {
        tree.put("format", FileFormat.parse(format).id());
      } catch (IllegalArgumentException e) {
        throw new CliError("--format: " + e.getMessage());
      }
    }
    JobSpec spec = JobSpec.fromTree(tree, p.toString()); // every tensor resolved: what is printed is a valid spec
    String command = "shardinit spec " + config + (seed == 0 ? "" : " --seed " + seed)
        + (dtype == null ? "" : " --dtype " + tree.get("dtype").asText())
        + (format == null ? "" : " --format " + tree.get("format").asText());
    cs.commandLine().getOut().print(SpecYaml.write(tree, Models.header(command, spec)));
    cs.commandLine().getOut().flush();
    return 0;
  }
}
