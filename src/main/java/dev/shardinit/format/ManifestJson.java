package dev.shardinit.format;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.shardinit.init.Dtype;
import dev.shardinit.plan.Layout;
import dev.shardinit.rng.Stream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The one reader and writer of manifest.json and of the per-file metadata that repeats a tensor's entry
 * (docs/FORMAT.md). Every JSON key of the format is named here and nowhere else.
 *
 * <p>Reading is strict about what it needs and lenient about the rest: a document that is not a shardinit
 * manifest of a version this code reads is refused as a whole ({@link ManifestException}, one line); a tensor
 * entry with a missing or mistyped field is reported as a problem naming the tensor and the field, and left out
 * of the typed manifest, so that the other tensors can still be checked. Fields this version does not know are
 * ignored (a later version of the same format number may add optional fields; anything that changes what a
 * reader must do changes the format version).
 */
public final class ManifestJson {
  static final String FORMAT = "format";
  static final String FORMAT_VERSION = "format_version";
  static final String SPEC_VERSION = "spec_version";
  static final String SEED = "seed";
  static final String FILE_FORMAT = "file_format";
  static final String PIECE_CAP = "piece_cap";
  static final String TENSORS = "tensors";
  static final String NAME = "name";
  static final String SHAPE = "shape";
  static final String DTYPE = "dtype";
  static final String INIT = "init";
  static final String FN = "fn";
  static final String ARGS = "args";
  static final String GAIN = "gain";
  static final String FAN_IN = "fan_in";
  static final String FAN_OUT = "fan_out";
  static final String STD = "std";
  static final String BOUND = "bound";
  static final String NUMEL = "numel";
  static final String CRC32C = "crc32c";
  static final String DIR = "dir";
  static final String FILES = "files";
  static final String PATH = "path";
  static final String START = "start";
  static final String END = "end";
  static final String ROWS = "rows";
  static final String BYTES = "bytes";
  static final String MIN = "min";
  static final String MAX = "max";
  static final String MEAN = "mean";

  private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .disable(SerializationFeature.FLUSH_AFTER_WRITE_VALUE);
  private static final ObjectMapper COMPACT = new ObjectMapper();

  private ManifestJson() {}

  /** A manifest that cannot be read as a whole: one line saying why. */
  public static final class ManifestException extends IOException {
    private static final long serialVersionUID = 1L;

    ManifestException(String message) {
      super(message);
    }
  }

  /**
   * What {@link #read} found: the typed manifest (the tensors whose entries are well-formed), the problems of
   * the others, and every file path the document mentions, well-formed or not (so a reader can tell listed
   * files from extra ones).
   */
  public record Read(Manifest manifest, List<String> problems, Set<String> paths) {}

  // ------------------------------------------------------------------------------------------------ writing

  /** The manifest as manifest.json: indented JSON with a final newline. */
  public static String write(Manifest m) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    try {
      write(m, b);
    } catch (IOException e) {
      throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
    }
    return b.toString(StandardCharsets.UTF_8);
  }

  /**
   * Writes the manifest as manifest.json to {@code out} (closing it), one tensor at a time: a manifest of a
   * million tensors is never held as one document in memory.
   */
  public static void write(Manifest m, OutputStream out) throws IOException {
    try (JsonGenerator g = PRETTY.getFactory().createGenerator(out)) {
      g.setPrettyPrinter(new DefaultPrettyPrinter());
      g.writeStartObject();
      g.writeStringField(FORMAT, Manifest.FORMAT);
      g.writeNumberField(FORMAT_VERSION, m.formatVersion());
      g.writeStringField(SPEC_VERSION, m.specVersion());
      g.writeNumberField(SEED, m.seed());
      g.writeStringField(FILE_FORMAT, m.fileFormat().id());
      g.writeNumberField(PIECE_CAP, m.pieceCap());
      g.writeArrayFieldStart(TENSORS);
      for (TensorEntry t : m.tensors()) {
        PRETTY.writeValue(g, entry(t));
      }
      g.writeEndArray();
      g.writeEndObject();
      g.writeRaw('\n');
    }
  }

  /** A tensor's manifest entry, as a map in the format's key order. */
  private static Map<String, Object> entry(TensorEntry t) {
    Map<String, Object> e = header(t);
    e.put(CRC32C, hex(t.crc32c()));
    e.put(DIR, t.dir());
    List<Map<String, Object>> files = new ArrayList<>(t.files().size());
    for (FileEntry f : t.files()) {
      Map<String, Object> fe = new LinkedHashMap<>();
      fe.put(PATH, f.path());
      fe.put(START, f.start());
      fe.put(END, f.end());
      fe.put(ROWS, f.rows());
      fe.put(BYTES, f.bytes());
      fe.put(CRC32C, hex(f.crc32c()));
      fe.put(MIN, f.min());
      fe.put(MAX, f.max());
      fe.put(MEAN, f.mean());
      fe.put(STD, f.std());
      files.add(fe);
    }
    e.put(FILES, files);
    return e;
  }

  /**
   * The key-value metadata of one data file: {@link Manifest#KEY_TENSOR}, the tensor's entry (without its
   * checksum, directory and files) with the seed and the spec version; {@link Manifest#KEY_FILE}, the file's
   * element range, rows and CRC-32C. Compact JSON.
   */
  public static Map<String, String> fileMetadata(TensorEntry t, long seed, String specVersion, long start, long end,
      int rows, int crc32c) {
    Map<String, Object> tensor = header(t);
    tensor.put(SEED, seed);
    tensor.put(SPEC_VERSION, specVersion);
    Map<String, Object> file = new LinkedHashMap<>();
    file.put(START, start);
    file.put(END, end);
    file.put(ROWS, rows);
    file.put(CRC32C, hex(crc32c));
    Map<String, String> m = new LinkedHashMap<>();
    m.put(Manifest.KEY_TENSOR, json(COMPACT, tensor));
    m.put(Manifest.KEY_FILE, json(COMPACT, file));
    return m;
  }

  /** The fields a tensor's manifest entry and its files' metadata share, in the format's order. */
  private static Map<String, Object> header(TensorEntry t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(NAME, t.name());
    m.put(SHAPE, t.shape());
    m.put(DTYPE, t.dtype().id());
    Map<String, Object> call = new LinkedHashMap<>();
    call.put(FN, t.fn());
    call.put(ARGS, t.args());
    m.put(INIT, call);
    putIfSet(m, GAIN, t.gain());
    putIfSet(m, FAN_IN, t.fanIn());
    putIfSet(m, FAN_OUT, t.fanOut());
    putIfSet(m, STD, t.std());
    putIfSet(m, BOUND, t.bound());
    m.put(NUMEL, t.numel());
    return m;
  }

  private static void putIfSet(Map<String, Object> m, String key, Object v) {
    if (v != null) {
      m.put(key, v);
    }
  }

  /** A CRC-32C as the format writes it: 8 lowercase hex digits. */
  public static String hex(int crc) {
    return String.format(Locale.ROOT, "%08x", crc);
  }

  private static String json(ObjectMapper mapper, Object o) {
    try {
      return mapper.writeValueAsString(o);
    } catch (IOException e) {
      throw new IllegalStateException(e); // maps of strings, numbers and lists always serialise
    }
  }

  /**
   * Writes manifest.json into {@code dir}: under a hidden temporary name first, renamed into place, so a reader
   * never sees part of it (the rename is atomic on local and HDFS file systems).
   */
  public static void store(FileSystem fs, Path dir, Manifest m)
      throws IOException {
    Path tmp = new Path(dir, "." + Manifest.FILE + ".tmp");
    write(m, new BufferedOutputStream(fs.create(tmp, true), 1 << 20));
    Path dst = new Path(dir, Manifest.FILE);
    if (!fs.rename(tmp, dst)) {
      throw new IOException("cannot rename " + tmp + " to " + dst);
    }
  }

  // ------------------------------------------------------------------------------------------------ reading

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
      return COMPACT.readTree(json);
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
    try (JsonParser p = COMPACT.getFactory().createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new ManifestException("not a shardinit manifest: not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (p.nextToken() == JsonToken.START_ARRAY && name.equals(TENSORS)) {
          listed = true;
          for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
            TensorEntry e = new EntryReader(p.readValueAsTree(), i, problems, paths).tensor();
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
    if (fv == null || !fv.isIntegralNumber() || fv.asLong() != Manifest.FORMAT_VERSION) {
      throw new ManifestException("format_version " + show(fv) + " is not supported: this shardinit reads version "
          + Manifest.FORMAT_VERSION);
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
    return new Read(new Manifest(Manifest.FORMAT_VERSION, sv.asText(), seed.asLong(), format, cap.asLong(), entries),
        problems, paths);
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

    EntryReader(JsonNode n, int index, List<String> problems, Set<String> paths) {
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
      if (dir == null || !dir.isTextual()) {
        bad(where, DIR + ": must be a string, got " + show(dir));
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
          crc, dir.asText(), entries);
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
      long rows = longField(f, ROWS, fat);
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
      return good ? new FileEntry(p.asText(), start, end, (int) rows, bytes, crc, min, max, mean, std) : null;
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

  /** A JSON value as a message shows it: shortened, "nothing" for a missing one. */
  static String show(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "nothing";
    }
    String s = n.toString();
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }
}
