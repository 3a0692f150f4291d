package dev.shardinit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardinit.format.FileFormat;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.ShardData;
import dev.shardinit.format.ShardFiles;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import dev.shardinit.plan.Layout;
import dev.shardinit.spark.Fs;
import dev.shardinit.spark.Recipe;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Regenerates a checkpoint's files and compares values, layout and checksums with what is on disk.",
        "Exits 1 naming the tensor and file of every mismatch, missing file or extra file."})
final class Verify implements Callable<Integer> {
  @Spec
  CommandSpec cs;

  @Parameters(index = "0", paramLabel = "DIR", description = "A checkpoint directory (path or Hadoop URI).")
  String dir;

  @Option(names = "--sample", paramLabel = "FRACTION", defaultValue = "1",
      description = "Fraction of files to regenerate, chosen by a hash of their path (default: all). "
          + "Missing and extra files are always checked.")
  double sample;

  /** One file to check, self-contained for an executor. */
  static final class Job implements Serializable {
    private static final long serialVersionUID = 1L;
    final Recipe recipe;
    final String path;
    final long start;
    final long end;
    final String crc;

    Job(String tensor, long[] shape, String dtype, long seed, String fn, Map<String, Object> args, String path,
        long start, long end, String crc) {
      this.recipe = Recipe.of(tensor, shape, dtype, seed, fn, args);
      this.path = path;
      this.start = start;
      this.end = end;
      this.crc = crc;
    }

    String where() {
      return "tensor '" + recipe.name() + "' file " + path;
    }
  }

  @Override
  public Integer call() throws Exception {
    if (!(sample > 0 && sample <= 1)) {
      throw new CliError("--sample: must be in (0, 1], got " + sample);
    }
    List<String> problems = new ArrayList<>();
    List<Job> jobs = new ArrayList<>();
    int total = 0;
    try (Sessions.Handle h = Sessions.open("shardinit verify")) {
      Checkpoint c = Checkpoint.open(dir, h.sc.hadoopConfiguration());
      FileSystem fs = c.fs;
      Set<String> listed = new HashSet<>();
      listed.add(Manifest.FILE);
      for (JsonNode t : c.tensors()) {
        String name = t.path("name").asText();
        for (JsonNode f : Checkpoint.files(t)) {
          String path = f.path("path").asText();
          listed.add(path);
          total++;
          if (!fs.exists(new Path(c.dir, path))) {
            problems.add("tensor '" + name + "' file " + path + ": missing");
            continue;
          }
          if (chosen(path)) {
            jobs.add(new Job(name, Checkpoint.shape(t), t.path("dtype").asText(), c.seed(),
                t.path("init").path("fn").asText(), Checkpoint.args(t), path, f.path("start").asLong(),
                f.path("end").asLong(), f.path("crc32c").asText()));
          }
        }
      }
      for (String rel : Fs.filesNotIn(fs, c.dir, listed)) {
        problems.add("extra file " + rel + ": not in " + Manifest.FILE);
      }
      if (!jobs.isEmpty()) {
        byte[] conf = Fs.bytes(h.sc.hadoopConfiguration());
        String root = c.dir.toUri().toString();
        String fmt = c.fileFormat();
        List<String> found = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(h.sc)
            .parallelize(jobs, Math.max(1, Math.min(jobs.size(), h.sc.defaultParallelism() * 4)))
            .flatMap(j -> check(j, root, fmt, conf).iterator())
            .collect();
        problems.addAll(found);
      }
    }
    PrintWriter out = cs.commandLine().getOut();
    PrintWriter err = cs.commandLine().getErr();
    for (String p : problems) {
      err.println("shardinit: verify: " + p);
    }
    if (problems.isEmpty()) {
      out.printf("verified %d of %d files: values, layout and checksums match%n", jobs.size(), total);
    } else {
      out.printf("verify found %d problem(s); checked %d of %d files%n", problems.size(), jobs.size(), total);
    }
    out.flush();
    err.flush();
    return problems.isEmpty() ? 0 : Main.FAILED;
  }

  private boolean chosen(String path) {
    if (sample >= 1) {
      return true;
    }
    CRC32 h = new CRC32();
    h.update(path.getBytes(StandardCharsets.UTF_8));
    return h.getValue() < sample * 4294967296.0;
  }

  static List<String> check(Job j, String root, String fmt, byte[] conf) throws IOException {
    List<String> problems = new ArrayList<>();
    Path p = new Path(new Path(root), j.path);
    FileSystem fs = Fs.of(p, Fs.fromBytes(conf));
    ShardData d;
    try {
      d = ShardFiles.read(fs, p, FileFormat.parse(fmt));
    } catch (IOException | RuntimeException e) {
      problems.add(j.where() + ": unreadable: " + e.getMessage());
      return problems;
    }
    Initializer init = j.recipe.resolve();
    Dtype dt = init.target().dtype();
    if (d.dtype() != dt) {
      problems.add(j.where() + ": holds " + d.dtype() + ", manifest says " + dt);
      return problems;
    }
    long[] pieces = Layout.pieces(Layout.rowLength(init.target().shape(), init.target().numel()), j.start, j.end);
    long[] offsets = new long[pieces.length];
    for (int i = 0, at = 0; i < pieces.length; i++) {
      offsets[i] = j.start + at;
      at += pieces[i];
    }
    if (!Arrays.equals(d.lengths(), pieces) || !Arrays.equals(d.offsets(), offsets)) {
      problems.add(j.where() + ": rows differ from the layout of elements [" + j.start + ", " + j.end + ")");
    }
    ByteBuffer want = ByteBuffer.allocate(Math.toIntExact((j.end - j.start) * dt.bytes())).order(ByteOrder.LITTLE_ENDIAN);
    init.fill(j.start, j.end, want);
    want.flip();
    ByteBuffer got = d.values().duplicate();
    if (got.remaining() != want.remaining()) {
      problems.add(j.where() + ": holds " + got.remaining() / dt.bytes() + " values, expected " + (j.end - j.start));
    } else {
      int mismatch = got.mismatch(want);
      if (mismatch >= 0) {
        problems.add(j.where() + ": value of element " + (j.start + mismatch / dt.bytes())
            + " differs from its regeneration");
      }
    }
    CRC32C crc = new CRC32C();
    crc.update(d.values().duplicate());
    String hex = Manifest.hex((int) crc.getValue());
    if (!hex.equals(j.crc)) {
      problems.add(j.where() + ": CRC-32C of its values is " + hex + ", manifest says " + j.crc);
    }
    Map<String, String> meta = new LinkedHashMap<>(d.metadata());
    if (!meta.containsKey(Manifest.KEY_TENSOR) || !meta.containsKey(Manifest.KEY_FILE)) {
      problems.add(j.where() + ": metadata keys " + Manifest.KEY_TENSOR + "/" + Manifest.KEY_FILE + " missing");
    }
    return problems;
  }
}
