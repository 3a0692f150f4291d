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
import static dev.shardinit.format.ManifestJson.FILE_FORMAT;
import static dev.shardinit.format.ManifestJson.FN;
import static dev.shardinit.format.ManifestJson.FORMAT;
import static dev.shardinit.format.ManifestJson.FORMAT_VERSION;
import static dev.shardinit.format.ManifestJson.GAIN;
import static dev.shardinit.format.ManifestJson.INIT;
import static dev.shardinit.format.ManifestJson.ARGS;
import static dev.shardinit.format.ManifestJson.MAX;
import static dev.shardinit.format.ManifestJson.MEAN;
import static dev.shardinit.format.ManifestJson.MIN;
import static dev.shardinit.format.ManifestJson.NAME;
import static dev.shardinit.format.ManifestJson.NUMEL;
import static dev.shardinit.format.ManifestJson.PATH;
import static dev.shardinit.format.ManifestJson.PIECE_CAP;
import static dev.shardinit.format.ManifestJson.ROWS;
import static dev.shardinit.format.ManifestJson.OFFSET;
import static dev.shardinit.format.ManifestJson.MAX_SHARD_SIZE;
import static dev.shardinit.format.ManifestJson.SEED;
import static dev.shardinit.format.ManifestJson.SHAPE;
import static dev.shardinit.format.ManifestJson.SPEC_VERSION;
import static dev.shardinit.format.ManifestJson.START;
import static dev.shardinit.format.ManifestJson.STD;
import static dev.shardinit.format.ManifestJson.TENSORS;
import static dev.shardinit.format.ManifestJson.show;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardinit.format.ManifestJson.ManifestException;
import dev.shardinit.format.ManifestJson.Read;
import dev.shardinit.init.Dtype;
import dev.shardinit.plan.Layout;
import dev.shardinit.rng.Stream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads manifest.json (with {@link ManifestJson}, which writes it, the format's one reader and writer). Strict
 * about what it needs and lenient about the rest: a document that is not a shardinit manifest of a version this
 * code reads is refused as a whole ({@link ManifestException}, one line); a tensor entry with a missing or
 * mistyped field is reported as a problem naming the tensor and the field, and left out of the typed manifest,
 * so that the other tensors can still be checked. Fields this version does not know are ignored (a later
 * version of the same format number may add optional fields; anything that changes what a reader must do
 * changes the format version).
 */
public final class ManifestReader {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ManifestReader() {}

  /**
   * Reads {@code dir}/manifest.json.
   *
   * @throws java.io.FileNotFoundException when there is none
   * @throws ManifestException as {@link #read} does
   */
  public static Read load(FileSystem fs, Path dir) throws IOException {
    try (java.io.InputStream in = fs.open(new Path(dir, Manifest.FILE), 1 << 20)) {
      return read(in);
    }
  }

  /** Parses a JSON document (a file's metadata value, say) into a tree; null if it is not JSON. */
  public static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Reads manifest.json.
   *
   * @throws ManifestException when the document is not JSON, not a shardinit manifest, of a format or spec
   *     version this code does not read, or lacks what every tensor needs (seed, file format, tensors)
   */
  public static Read read(String text) throws ManifestException {
    try {
      return read(new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    } catch (ManifestException e) {
      throw e;
    } catch (IOException e) {
      throw new IllegalStateException(e); // a ByteArrayInputStream does not fail
    }
  }

  /**
   * Reads manifest.json from a stream, one tensor entry at a time: the typed manifest is all that is kept.
   *
   * @throws ManifestException as {@link #read(String)} does
   * @throws IOException when the stream fails
   */
  public static Read read(InputStream in) throws IOException {
    Map<String, JsonNode> fields = new HashMap<>();
    List<String> problems = new ArrayList<>();
    Set<String> paths = new HashSet<>();
    List<TensorEntry> entries = new ArrayList<>();
    boolean listed = false;
    try (JsonParser p = JSON.getFactory().createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new ManifestException("not a shardinit manifest: not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (p.nextToken() == JsonToken.START_ARRAY && name.equals(TENSORS)) {
          listed = true;
          for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
            TensorEntry e = new EntryReader(p.readValueAsTree(), i, problems, paths, packed(fields)).tensor();
            if (e != null) {
              entries.add(e);
            }
          }
        } else {
          fields.put(name, p.readValueAsTree());
        }
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw new ManifestException("not a shardinit manifest: not one JSON object");
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ManifestException("not valid JSON: " + e.getOriginalMessage().replaceAll("\\s+", " ")
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
              + e.getLocation().getColumnNr() + ")"));
    }
    if (!Manifest.FORMAT.equals(textOf(fields.get(FORMAT)))) {
      throw new ManifestException("not a shardinit manifest: its \"format\" is " + show(fields.get(FORMAT))
          + ", not \"" + Manifest.FORMAT + "\"");
    }
    JsonNode fv = fields.get(FORMAT_VERSION);
    if (fv == null || !fv.isIntegralNumber() || !Manifest.READ_VERSIONS.contains(fv.asInt())
        || fv.asLong() != fv.asInt()) {
      throw new ManifestException("format_version " + show(fv) + " is not supported: this shardinit reads versions "
          + Manifest.READ_VERSIONS.get(0) + " to " + Manifest.FORMAT_VERSION);
    }
    JsonNode sv = fields.get(SPEC_VERSION);
    if (sv == null || !sv.isTextual() || !sv.asText().equals(Stream.SPEC_VERSION)) {
      throw new ManifestException("spec_version " + show(sv) + " is not supported: this shardinit implements "
          + "version \"" + Stream.SPEC_VERSION + "\" of the random stream (docs/RNG.md)");
    }
    JsonNode seed = fields.get(SEED);
    if (seed == null || !seed.isIntegralNumber() || !seed.canConvertToLong()) {
      throw new ManifestException("seed: must be a signed 64-bit integer, got " + show(seed));
    }
    FileFormat format;
    try {
      format = FileFormat.parse(textOf(fields.get(FILE_FORMAT)));
    } catch (IllegalArgumentException e) {
      throw new ManifestException("file_format: " + e.getMessage());
    }
    JsonNode cap = fields.get(PIECE_CAP);
    if (cap == null || !cap.isIntegralNumber() || cap.asLong() != Layout.PIECE_CAP) {
      throw new ManifestException("piece_cap " + show(cap) + " is not supported: this shardinit cuts rows at "
          + Layout.PIECE_CAP + " elements");
    }
    if (!listed) {
      throw new ManifestException("tensors: must be a list, got " + show(fields.get(TENSORS)));
    }
    Long maxFileBytes = null;
    if (format.packed()) {
      JsonNode max = fields.get(MAX_SHARD_SIZE);
      if (max == null || !max.isIntegralNumber() || !max.canConvertToLong() || max.asLong() < 1) {
        throw new ManifestException(MAX_SHARD_SIZE + ": must be a positive integer (bytes) for file_format "
            + format.id() + ", got " + show(max));
      }
      maxFileBytes = max.asLong();
    }
    return new Read(new Manifest(fv.asInt(), sv.asText(), seed.asLong(), format, cap.asLong(), maxFileBytes,
        entries), problems, paths);
  }

  /** Whether the file format read so far (the writer puts it before the tensors) packs tensors into files. */
  private static boolean packed(Map<String, JsonNode> fields) {
    try {
      return FileFormat.parse(textOf(fields.get(FILE_FORMAT))).packed();
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String textOf(JsonNode n) {
    return n != null && n.isTextual() ? n.asText() : "";
  }

  /** Reads one tensor entry, reporting each bad field; null when any is bad. */
  private static final class EntryReader {
    private final JsonNode n;
    private final List<String> problems;
    private final Set<String> paths;
    private String where;
    private boolean ok = true;

    /** Whether the entry's files are regions of packed files: no directory and no rows, an offset each. */
    private final boolean packed;

    EntryReader(JsonNode n, int index, List<String> problems, Set<String> paths, boolean packed) {
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
      if (init == null || !init.isObject() || !init.path(FN).isTextual()) {
        bad(where, INIT + ": must be an object with a string \"fn\" and an object \"args\", got " + show(init));
      } else {
        fn = init.get(FN).asText();
        args = args(init.get(ARGS));
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
      return new TensorEntry(n.get(NAME).asText(), shape, dtype, fn, args, gain, fanIn, fanOut, std, bound, numel,
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
}
