package dev.shardinit.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardinit.format.Manifest;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The checks of a safetensors checkpoint's files that need no values: every file of the layout the manifest
 * gives is there with its exact size and header (a difference named by tensor and field), and the index is
 * the one the manifest gives. The values are checked region by region elsewhere ({@code task.FileCheck}).
 */
public final class SafetensorsCheck {
  private SafetensorsCheck() {}

  /** The names of a layout's files and of its index, if it has one: the top-level files a checkpoint holds. */
  public static List<String> names(SafetensorsLayout layout) {
    List<String> l = new ArrayList<>();
    for (SafetensorsLayout.File f : layout.files()) {
      l.add(f.name());
    }
    if (layout.files().size() > 1) {
      l.add(Safetensors.INDEX);
    }
    return l;
  }

  /**
   * Checks the files of {@code layout} (made from the manifest {@code m}) in {@code dir}, whose files have the
   * sizes {@code sizes} (relative name to bytes); one line per problem.
   */
  public static List<String> check(FileSystem fs, Path dir, Manifest m, SafetensorsLayout layout,
      Map<String, Long> sizes) throws IOException {
    List<String> problems = new ArrayList<>();
    for (SafetensorsLayout.File f : layout.files()) {
      String at = "file " + f.name();
      Long size = sizes.get(f.name());
      if (size == null) {
        problems.add(at + ": missing (it holds " + tensorNames(m, f) + ")");
        continue;
      }
      if (size != f.size()) {
        problems.add(at + ": is " + size + " bytes; its header and tensors make " + f.size()
            + (size < f.size() ? " (truncated?)" : ""));
      }
      byte[] want = f.header();
      byte[] got = new byte[(int) Math.min(want.length, size)];
      try (FSDataInputStream in = fs.open(new Path(dir, f.name()))) {
        in.readFully(got);
      }
      if (!Arrays.equals(got, want)) {
        header(fs, new Path(dir, f.name()), size, want, at, problems);
      }
    }
    if (layout.files().size() > 1) {
      Long size = sizes.get(Safetensors.INDEX);
      byte[] want = SafetensorsIndex.of(m.tensors(), layout);
      if (size == null) {
        problems.add("file " + Safetensors.INDEX + ": missing");
      } else {
        byte[] got;
        try (InputStream in = fs.open(new Path(dir, Safetensors.INDEX))) {
          got = in.readAllBytes();
        }
        if (!Arrays.equals(got, want)) {
          JsonNode g = Safetensors.parse(got);
          JsonNode w = Safetensors.parse(want);
          String what = g == null ? "it is not a JSON object"
              : !Objects.equals(g.get("weight_map"), w.get("weight_map")) ? "its weight_map differs"
              : !Objects.equals(g.get("metadata"), w.get("metadata")) ? "its metadata differs" : "its formatting differs";
          problems.add("file " + Safetensors.INDEX + ": differs from the index the manifest gives (" + what + ")");
        }
      }
    }
    return problems;
  }

  /** Says how a file's header differs from the one the manifest gives. */
  private static void header(FileSystem fs, Path path, long size, byte[] want, String at, List<String> problems)
      throws IOException {
    int before = problems.size();
    long n;
    byte[] json;
    try (FSDataInputStream in = fs.open(path)) {
      byte[] prefix = new byte[Safetensors.PREFIX];
      in.readFully(prefix);
      n = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
      long wantN = want.length - Safetensors.PREFIX;
      if (n != wantN) {
        problems.add(at + ": its header length is " + n + " bytes; the manifest's tensors make " + wantN);
      }
      if (n < 0 || n > Safetensors.MAX_HEADER || n > size - Safetensors.PREFIX) {
        return;
      }
      json = new byte[(int) n];
      in.readFully(json);
    } catch (EOFException e) {
      problems.add(at + ": ends inside its header");
      return;
    }
    JsonNode got = Safetensors.parse(json);
    JsonNode exp = Safetensors.parse(Arrays.copyOfRange(want, Safetensors.PREFIX, want.length));
    if (got == null) {
      problems.add(at + ": its header is not a JSON object");
      return;
    }
    for (Iterator<String> it = exp.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      JsonNode g = got.get(k);
      if (k.equals(Safetensors.METADATA)) {
        if (!exp.get(k).equals(g)) {
          problems.add(at + ": its header's " + k + " differs from the one the manifest gives");
        }
      } else if (g == null) {
        problems.add(at + ": its header has no tensor '" + k + "'");
      } else {
        for (String field : List.of("dtype", "shape", "data_offsets")) {
          if (!Objects.equals(g.get(field), exp.get(k).get(field))) {
            problems.add(at + ": tensor '" + k + "': its header says " + field + " " + g.get(field)
                + ", the manifest gives " + exp.get(k).get(field));
          }
        }
      }
    }
    for (Iterator<String> it = got.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!exp.has(k)) {
        problems.add(at + ": its header has tensor '" + k + "', which the manifest does not put in this file");
      }
    }
    if (problems.size() == before) {
      problems.add(at + ": its header's bytes differ from the header the manifest gives (the same entries: "
          + "formatting or padding)");
    }
  }

  private static String tensorNames(Manifest m, SafetensorsLayout.File f) {
    List<String> names = new ArrayList<>();
    for (int t : f.tensors()) {
      names.add("'" + m.tensors().get(t).name() + "'");
      if (names.size() == 3 && f.tensors().size() > 3) {
        names.add("and " + (f.tensors().size() - 3) + " more");
        break;
      }
    }
    return names.isEmpty() ? "no tensors" : String.join(", ", names);
  }
}
