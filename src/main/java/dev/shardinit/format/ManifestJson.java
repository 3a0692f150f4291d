package dev.shardinit.format;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The writer of manifest.json and of the per-file metadata that repeats a tensor's entry (docs/FORMAT.md), with
 * {@link ManifestReader} its one reader: every JSON key of the format is named here and nowhere else.
 */
public final class ManifestJson {
  static final String FORMAT = "format";
  static final String FORMAT_VERSION = "format_version";
  static final String SPEC_VERSION = "spec_version";
  static final String SEED = "seed";
  static final String FILE_FORMAT = "file_format";
  static final String PIECE_CAP = "piece_cap";
  static final String TENSORS = "tensors";
  static final String CONFIG = "config";
  static final String NAME = "name";
  static final String SHAPE = "shape";
  static final String DTYPE = "dtype";
  static final String INIT = "init";
  static final String FN = "fn";
  static final String ARGS = "args";
  static final String PADDING_IDX = "padding_idx";
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
  static final String OFFSET = "offset";
  static final String MAX_SHARD_SIZE = "max_shard_size";
  /** The safetensors metadata key of shardinit's entry (docs/FORMAT.md). */
  public static final String SAFETENSORS_KEY = "shardinit";

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
      if (m.maxFileBytes() != null) {
        g.writeNumberField(MAX_SHARD_SIZE, m.maxFileBytes());
      }
      if (m.config() != null) {
        g.writeObjectFieldStart(CONFIG);
        g.writeStringField(PATH, m.config().path());
        g.writeNumberField(BYTES, m.config().bytes());
        g.writeStringField(CRC32C, hex(m.config().crc32c()));
        g.writeEndObject();
      }
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
    if (t.dir() != null) {
      e.put(DIR, t.dir());
    }
    List<Map<String, Object>> files = new ArrayList<>(t.files().size());
    for (FileEntry f : t.files()) {
      Map<String, Object> fe = new LinkedHashMap<>();
      fe.put(PATH, f.path());
      fe.put(START, f.start());
      fe.put(END, f.end());
      if (f.offset() < 0) {
        fe.put(ROWS, f.rows());
      } else {
        fe.put(OFFSET, f.offset());
      }
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
   * element range, rows and, where the format writes its metadata after the values (Parquet), the values'
   * CRC-32C (null: left out). Compact JSON.
   */
  public static Map<String, String> fileMetadata(TensorEntry t, long seed, String specVersion, long start, long end,
      int rows, Integer crc32c) {
    Map<String, Object> tensor = header(t);
    tensor.put(SEED, seed);
    tensor.put(SPEC_VERSION, specVersion);
    Map<String, Object> file = new LinkedHashMap<>();
    file.put(START, start);
    file.put(END, end);
    file.put(ROWS, rows);
    if (crc32c != null) {
      file.put(CRC32C, hex(crc32c));
    }
    Map<String, String> m = new LinkedHashMap<>();
    m.put(Manifest.KEY_TENSOR, json(COMPACT, tensor));
    m.put(Manifest.KEY_FILE, json(COMPACT, file));
    return m;
  }

  /**
   * The {@code __metadata__} of a safetensors file holding {@code tensors} (in data order): {@code format: pt}
   * (what transformers requires) and {@link #SAFETENSORS_KEY}, compact JSON of the seed, the spec version and
   * each tensor's entry without its checksum and files.
   */
  public static Map<String, String> safetensorsMetadata(List<TensorEntry> tensors, long seed, String specVersion) {
    Map<String, Object> ours = new LinkedHashMap<>();
    ours.put(SEED, seed);
    ours.put(SPEC_VERSION, specVersion);
    List<Map<String, Object>> entries = new ArrayList<>(tensors.size());
    for (TensorEntry t : tensors) {
      entries.add(header(t));
    }
    ours.put(TENSORS, entries);
    Map<String, String> m = new LinkedHashMap<>();
    m.put(FORMAT, "pt");
    m.put(SAFETENSORS_KEY, json(COMPACT, ours));
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
    putIfSet(call, PADDING_IDX, t.paddingIdx());
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
    FileSink.writeWhole(fs, new Path(dir, Manifest.FILE), new Path(dir, "." + Manifest.FILE + ".tmp"),
        out -> write(m, new BufferedOutputStream(out, 1 << 20)));
  }

  // ------------------------------------------------------------------------------------------------ reading

  /** A JSON value as a message shows it: shortened, "nothing" for a missing one. */
  static String show(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "nothing";
    }
    String s = n.toString();
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }
}
