package dev.shardinit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardinit.spark.Progress;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Prints a checkpoint's tensors: shape, dtype, init, gain, fans, size, files.")
final class Inspect implements Callable<Integer> {
  @Spec
  CommandSpec cs;

  @Parameters(index = "0", paramLabel = "DIR", description = "A checkpoint directory (path or Hadoop URI).")
  String dir;

  @Override
  public Integer call() {
    Checkpoint c = Checkpoint.open(dir, new Configuration());
    PrintWriter o = cs.commandLine().getOut();
    Table t = new Table("tensor", "shape", "dtype", "init", "gain", "fan_in", "fan_out", "std/bound", "size", "files");
    long total = 0;
    long files = 0;
    long params = 0;
    for (JsonNode n : c.tensors()) {
      long bytes = 0;
      for (JsonNode f : Checkpoint.files(n)) {
        bytes += f.path("bytes").asLong();
      }
      total += bytes;
      files += n.path("files").size();
      params += n.path("numel").asLong();
      String spread = n.has("std") ? "std " + num(n.get("std")) : n.has("bound") ? "bound " + num(n.get("bound")) : "-";
      if (n.has("std") && n.has("bound")) {
        spread = "bound " + num(n.get("bound"));
      }
      t.row(n.path("name").asText(), Arrays.toString(Checkpoint.shape(n)), n.path("dtype").asText(),
          n.path("init").path("fn").asText() + Checkpoint.args(n), n.has("gain") ? num(n.get("gain")) : "-",
          n.has("fan_in") ? n.get("fan_in").asText() : "-", n.has("fan_out") ? n.get("fan_out").asText() : "-",
          spread, Progress.size(bytes), Integer.toString(n.path("files").size()));
    }
    t.print(o);
    o.printf("%d tensors, %,d parameters, %d files, %s; seed %d, format %s, spec version %s%n",
        c.manifest.path("tensors").size(), params, files, Progress.size(total), c.seed(), c.fileFormat(),
        c.manifest.path("spec_version").asText());
    o.flush();
    return 0;
  }

  private static String num(JsonNode v) {
    double d = v.asDouble();
    return d == Math.rint(d) && Math.abs(d) < 1e9 ? Long.toString((long) d) : Double.toString(d);
  }
}
