package dev.shardinit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardinit.format.Manifest;
import dev.shardinit.spark.Fs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** A checkpoint directory as its manifest describes it (for verify and inspect). */
final class Checkpoint {
  final Path dir;
  final FileSystem fs;
  final JsonNode manifest;

  private Checkpoint(Path dir, FileSystem fs, JsonNode manifest) {
    this.dir = dir;
    this.fs = fs;
    this.manifest = manifest;
  }

  static Checkpoint open(String dir, Configuration conf) {
    Path p = new Path(dir);
    try {
      FileSystem fs = Fs.of(p, conf);
      Path m = new Path(p, Manifest.FILE);
      if (!fs.exists(m)) {
        throw new CliError(dir + ": no " + Manifest.FILE + " (not a checkpoint, or an incomplete one)");
      }
      try (InputStream in = fs.open(m)) {
        JsonNode root = Manifest.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        if (!Manifest.FORMAT.equals(root.path("format").asText())) {
          throw new CliError(dir + ": " + Manifest.FILE + " is not a shardinit manifest");
        }
        return new Checkpoint(p, fs, root);
      }
    } catch (IOException e) {
      throw new CliError(dir + ": cannot read " + Manifest.FILE + ": " + e.getMessage());
    }
  }

  Iterable<JsonNode> tensors() {
    return manifest.path("tensors");
  }

  long seed() {
    return manifest.path("seed").asLong();
  }

  String fileFormat() {
    return manifest.path("file_format").asText();
  }

  static long[] shape(JsonNode t) {
    JsonNode s = t.path("shape");
    long[] shape = new long[s.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = s.get(i).asLong();
    }
    return shape;
  }

  /** init.args as the Java values ByName expects: Long, Double, String, Boolean. */
  static Map<String, Object> args(JsonNode t) {
    Map<String, Object> m = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = t.path("init").path("args").fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      Object o;
      if (v.isIntegralNumber()) {
        o = v.asLong();
      } else if (v.isNumber()) {
        o = v.asDouble();
      } else if (v.isBoolean()) {
        o = v.asBoolean();
      } else {
        o = v.asText();
      }
      m.put(e.getKey(), o);
    }
    return m;
  }

  static List<JsonNode> files(JsonNode t) {
    List<JsonNode> l = new ArrayList<>();
    t.path("files").forEach(l::add);
    return l;
  }
}
