package dev.shardinit.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.shardinit.init.Initializer;
import dev.shardinit.init.Target;
import dev.shardinit.rng.Stream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * manifest.json, the index and the completion mark of a checkpoint (docs/FORMAT.md), and the per-tensor entry
 * that every data file repeats in its own metadata.
 */
public final class Manifest {
  /** The manifest file's name in the output directory. Its presence means the checkpoint is complete. */
  public static final String FILE = "manifest.json";
  /** The format written here. */
  public static final String FORMAT = "shardinit-checkpoint";
  public static final int FORMAT_VERSION = 2;
  /** Metadata keys in every data file. */
  public static final String KEY_TENSOR = "shardinit.tensor";
  public static final String KEY_FILE = "shardinit.file";

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper COMPACT = new ObjectMapper();

  private Manifest() {}

  /**
   * The tensor's entry: name, shape, dtype, init {fn, args}, gain, fan_in, fan_out, std, bound (where they
   * apply), numel, seed and the stream specification version.
   */
  public static Map<String, Object> tensorEntry(Initializer init) {
    Target t = init.target();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", t.name());
    m.put("shape", t.shape());
    m.put("dtype", t.dtype().id());
    Map<String, Object> call = new LinkedHashMap<>();
    call.put("fn", init.fn());
    call.put("args", init.args());
    m.put("init", call);
    init.gain().ifPresent(g -> m.put("gain", g));
    init.fanIn().ifPresent(f -> m.put("fan_in", f));
    init.fanOut().ifPresent(f -> m.put("fan_out", f));
    init.std().ifPresent(s -> m.put("std", s));
    init.bound().ifPresent(b -> m.put("bound", b));
    m.put("numel", t.numel());
    m.put("seed", t.seed());
    m.put("spec_version", Stream.SPEC_VERSION);
    return m;
  }

  /** The file's own entry: its element range, rows and the CRC-32C of its raw values. */
  public static Map<String, Object> fileEntry(long start, long end, int rows, int crc32c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("start", start);
    m.put("end", end);
    m.put("rows", rows);
    m.put("crc32c", hex(crc32c));
    return m;
  }

  /** The key-value metadata of one data file. */
  public static Map<String, String> fileMetadata(Map<String, Object> tensorEntry, Map<String, Object> fileEntry) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(KEY_TENSOR, compact(tensorEntry));
    m.put(KEY_FILE, compact(fileEntry));
    return m;
  }

  public static String hex(int crc) {
    return String.format(Locale.ROOT, "%08x", crc);
  }

  public static String compact(Object o) {
    try {
      return COMPACT.writeValueAsString(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pretty(Object o) {
    try {
      return JSON.writeValueAsString(o) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static JsonNode parse(String json) throws IOException {
    return JSON.readTree(json);
  }

  /** A manifest's top-level object with its tensors (each an entry with "dir", "crc32c" and "files"). */
  public static Map<String, Object> document(long seed, String fileFormat, long pieceCap,
      List<Map<String, Object>> tensors) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", FORMAT);
    m.put("format_version", FORMAT_VERSION);
    m.put("spec_version", Stream.SPEC_VERSION);
    m.put("seed", seed);
    m.put("file_format", fileFormat);
    m.put("piece_cap", pieceCap);
    m.put("tensors", new ArrayList<>(tensors));
    return m;
  }
}
