package dev.shardinit.cli;

import dev.shardinit.format.FileEntry;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.TensorEntry;
import dev.shardinit.plan.ByteSize;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = {"Prints a checkpoint's tensors: shape, dtype, init, gain, fans, size, files (safetensors: the "
        + "file holding the tensor).",
        "Checks the manifest first (not the files: see verify) and exits 1 when it is inconsistent."})
final class Inspect implements Callable<Integer> {
  @Spec
  CommandSpec cs;

  @Parameters(index = "0", paramLabel = "DIR", description = "A checkpoint directory (path or Hadoop URI).")
  String dir;

  @Override
  public Integer call() {
    Checkpoint c = Checkpoint.open(dir, Sessions.hadoopConfiguration());
    Manifest m = c.manifest();
    PrintWriter o = cs.commandLine().getOut();
    Table t = new Table("tensor", "shape", "dtype", "init", "gain", "fan_in", "fan_out", "std/bound", "size", "files");
    long total = 0;
    long params = 0;
    for (TensorEntry n : m.tensors()) {
      long bytes = 0;
      for (FileEntry f : n.files()) {
        bytes += f.bytes();
      }
      total += bytes;
      params += n.numel();
      String spread = n.bound() != null ? "bound " + num(n.bound()) : n.std() != null ? "std " + num(n.std()) : "-";
      t.row(n.name(), Arrays.toString(n.shape()), n.dtype().id(), n.fn() + n.args(),
          n.gain() == null ? "-" : num(n.gain()), n.fanIn() == null ? "-" : n.fanIn().toString(),
          n.fanOut() == null ? "-" : n.fanOut().toString(), spread, ByteSize.show(bytes),
          m.fileFormat().packed() && !n.files().isEmpty() ? n.files().get(0).path()
              : Integer.toString(n.files().size()));
    }
    t.print(o);
    o.printf("%d tensors, %,d parameters, %d files, %s; seed %d, format %s, spec version %s%n",
        m.tensors().size(), params, m.fileCount(), ByteSize.show(total), m.seed(), m.fileFormat().id(),
        m.specVersion());
    o.flush();
    List<String> problems = c.problems();
    if (problems.isEmpty()) {
      return 0;
    }
    PrintWriter err = cs.commandLine().getErr();
    for (String p : problems) {
      err.println("shardinit: inspect: " + p);
    }
    err.println("shardinit: inspect: the manifest of " + dir + " is inconsistent (" + problems.size()
        + " problem(s)); `shardinit verify " + dir + "` also checks the files");
    err.flush();
    return Main.FAILED;
  }

  private static String num(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e9 ? Long.toString((long) d) : Double.toString(d);
  }
}
