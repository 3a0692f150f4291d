package dev.shardinit.format;

import static dev.shardinit.format.ManifestJson.BOUND;
import static dev.shardinit.format.ManifestJson.BYTES;
import static dev.shardinit.format.ManifestJson.CRC32C;
import static dev.shardinit.format.ManifestJson.DIR;
import static dev.shardinit.format.ManifestJson.DTYPE;
import static dev.shardinit.format.ManifestJson.END;
import static dev.shardinit.format.ManifestJson.FAN_IN;
import static dev.shardinit.format.ManifestJson.FAN_OUT;
import static dev.shardinit.format.ManifestJson.FILES;
import static dev.shardinit.format.ManifestJson.FN;
import static dev.shardinit.format.ManifestJson.GAIN;
import static dev.shardinit.format.ManifestJson.INIT;
import static dev.shardinit.format.ManifestJson.ARGS;
import static dev.shardinit.format.ManifestJson.PADDING_IDX;
import static dev.shardinit.format.ManifestJson.MAX;
import static dev.shardinit.format.ManifestJson.MEAN;
import static dev.shardinit.format.ManifestJson.MIN;
import static dev.shardinit.format.ManifestJson.NAME;
import static dev.shardinit.format.ManifestJson.NUMEL;
import static dev.shardinit.format.ManifestJson.PATH;
import static dev.shardinit.format.ManifestJson.ROWS;
import static dev.shardinit.format.ManifestJson.OFFSET;
import static dev.shardinit.format.ManifestJson.SHAPE;
import static dev.shardinit.format.ManifestJson.START;
import static dev.shardinit.format.ManifestJson.STD;
import static dev.shardinit.format.ManifestJson.show;
import com.fasterxml.jackson.databind.JsonNode;
import dev.shardinit.init.Dtype;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads one tensor entry of manifest.json ({@link ManifestReader}), reporting each bad field; null when any is bad. */
final class ManifestEntryReader {
  private final JsonNode n;
  private final List<String> problems;
  private final Set<String> paths;
  private String where;
  private boolean ok = true;

  /** Whether the entry's files are regions of packed files: no directory and no rows, an offset each. */
  private final boolean packed;

  ManifestEntryReader(JsonNode n, int index, List<String> problems, Set<String> paths, boolean packed) {
    this.packed = packed;
    this.n = n;
    this.problems = problems;
    this.paths = paths;
    this.where = "tensors[" + index + "]";
  }

  TensorEntry tensor() {
    if (!n.isObject()) {
      bad(where, "must be an object, got " + show(n));
      return null;
    }
    JsonNode nm = n.get(NAME);
    if (nm != null && nm.isTextual() && !nm.asText().isEmpty()) {
      where = "tensor '" + nm.asText() + "'";
    } else {
      bad(where, NAME + ": must be a non-empty string, got " + show(nm));
    }
    for (JsonNode f : n.path(FILES)) { // listed, whatever else is wrong
      if (f.path(PATH).isTextual()) {
        paths.add(f.path(PATH).asText());
      }
    }
    long[] shape = shape(n.get(SHAPE));
    Dtype dtype = dtype(n.get(DTYPE));
    JsonNode init = n.get(INIT);
    String fn = null;
    Map<String, Object> args = null;
    Long paddingIdx = null;
    if (init == null || !init.isObject() || !init.path(FN).isTextual()) {
      bad(where, INIT + ": must be an object with a string \"fn\" and an object \"args\", got " + show(init));
    } else {
      fn = init.get(FN).asText();
      args = args(init.get(ARGS));
      JsonNode p = init.get(PADDING_IDX);
      if (p != null && !(p.isIntegralNumber() && p.canConvertToLong() && p.longValue() >= 0)) {
        bad(where, INIT + "." + PADDING_IDX + ": must be a non-negative integer, got " + show(p));
      } else if (p != null) {
        paddingIdx = p.longValue();
      }
    }
    Double gain = optionalDouble(GAIN);
    Long fanIn = optionalLong(FAN_IN);
    Long fanOut = optionalLong(FAN_OUT);
    Double std = optionalDouble(STD);
    Double bound = optionalDouble(BOUND);
    long numel = longField(n, NUMEL, where);
    int crc = crc(n.get(CRC32C), where);
    JsonNode dir = n.get(DIR);
    if (packed ? dir != null : dir == null || !dir.isTextual()) {
      bad(where, DIR + (packed ? ": is not part of a packed format's entry, got " : ": must be a string, got ")
          + show(dir));
    }
    JsonNode files = n.get(FILES);
    List<FileEntry> entries = new ArrayList<>();
    if (files == null || !files.isArray()) {
      bad(where, FILES + ": must be a list, got " + show(files));
    } else {
      for (int k = 0; k < files.size(); k++) {
        FileEntry f = file(files.get(k), where + " files[" + k + "]");
        if (f != null) {
          entries.add(f);
        }
      }
    }
    if (!ok) {
      return null;
    }
    return new TensorEntry(n.get(NAME).asText(), shape, dtype, fn, args, paddingIdx, gain, fanIn, fanOut, std, bound, numel,
        crc, packed ? null : dir.asText(), entries);
  }

  private FileEntry file(JsonNode f, String at) {
    if (!f.isObject()) {
      bad(at, "must be an object, got " + show(f));
      return null;
    }
    JsonNode p = f.get(PATH);
    if (p == null || !p.isTextual()) {
      bad(at, PATH + ": must be a string, got " + show(p));
      return null;
    }
    String fat = where + " file " + p.asText();
    boolean before = ok;
    ok = true;
    long start = longField(f, START, fat);
    long end = longField(f, END, fat);
    long rows = packed ? 0 : longField(f, ROWS, fat);
    long offset = packed ? longField(f, OFFSET, fat) : -1;
    if (ok && packed && offset < 0) {
      bad(fat, OFFSET + ": must be a non-negative integer, got " + offset);
    }
    if (ok && (rows < 0 || rows > Integer.MAX_VALUE)) {
      bad(fat, ROWS + ": must be a non-negative 32-bit integer, got " + rows);
    }
    long bytes = longField(f, BYTES, fat);
    int crc = crc(f.get(CRC32C), fat);
    double min = doubleField(f, MIN, fat);
    double max = doubleField(f, MAX, fat);
    double mean = doubleField(f, MEAN, fat);
    double std = doubleField(f, STD, fat);
    boolean good = ok;
    ok = before && good;
    return good ? new FileEntry(p.asText(), start, end, (int) rows, bytes, crc, min, max, mean, std, offset) : null;
  }

  private long[] shape(JsonNode s) {
    if (s == null || !s.isArray()) {
      bad(where, SHAPE + ": must be a list of non-negative integers, got " + show(s));
      return null;
    }
    long[] shape = new long[s.size()];
    for (int k = 0; k < shape.length; k++) {
      JsonNode d = s.get(k);
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
        bad(where, SHAPE + ": must be a list of non-negative integers, got " + show(s));
        return null;
      }
      shape[k] = d.asLong();
    }
    return shape;
  }

  private Dtype dtype(JsonNode d) {
    if (d != null && d.isTextual()) {
      for (Dtype t : Dtype.values()) {
        if (t.id().equals(d.asText())) {
          return t;
        }
      }
    }
    bad(where, DTYPE + ": must be one of float32, float64, bfloat16, float16, got " + show(d));
    return null;
  }

  private Map<String, Object> args(JsonNode a) {
    if (a == null || !a.isObject()) {
      bad(where, INIT + "." + ARGS + ": must be an object, got " + show(a));
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : a.properties()) {
      JsonNode v = e.getValue();
      if (v.isIntegralNumber() && v.canConvertToLong()) {
        m.put(e.getKey(), v.asLong());
      } else if (v.isNumber()) {
        m.put(e.getKey(), v.asDouble());
      } else if (v.isBoolean()) {
        m.put(e.getKey(), v.asBoolean());
      } else if (v.isTextual()) {
        m.put(e.getKey(), v.asText());
      } else {
        bad(where, INIT + "." + ARGS + "." + e.getKey() + ": must be a number, string or boolean, got " + show(v));
      }
    }
    return m;
  }

  private Double optionalDouble(String key) {
    JsonNode v = n.get(key);
    if (v == null) {
      return null;
    }
    if (!v.isNumber()) {
      bad(where, key + ": must be a number, got " + show(v));
      return null;
    }
    return v.asDouble();
  }

  private Long optionalLong(String key) {
    JsonNode v = n.get(key);
    if (v == null) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      bad(where, key + ": must be an integer, got " + show(v));
      return null;
    }
    return v.asLong();
  }

  private long longField(JsonNode o, String key, String at) {
    JsonNode v = o.get(key);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      bad(at, key + ": must be a 64-bit integer, got " + show(v));
      return 0;
    }
    return v.asLong();
  }

  /** A statistic: a number, or one of the strings Jackson writes for NaN and the infinities. */
  private double doubleField(JsonNode o, String key, String at) {
    JsonNode v = o.get(key);
    if (v != null && v.isNumber()) {
      return v.asDouble();
    }
    if (v != null && v.isTextual() && List.of("NaN", "Infinity", "-Infinity").contains(v.asText())) {
      return Double.parseDouble(v.asText());
    }
    bad(at, key + ": must be a number, got " + show(v));
    return 0;
  }

  private int crc(JsonNode v, String at) {
    if (v != null && v.isTextual() && v.asText().matches("[0-9a-f]{8}")) {
      return (int) Long.parseLong(v.asText(), 16);
    }
    bad(at, CRC32C + ": must be 8 lowercase hex digits, got " + show(v));
    return 0;
  }

  private void bad(String at, String what) {
    ok = false;
    problems.add(at + ": " + what);
  }
}
