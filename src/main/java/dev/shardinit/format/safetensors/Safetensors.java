package dev.shardinit.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardinit.init.Dtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The safetensors file format as Hugging Face's safetensors crate reads it, and the names of a Hugging Face
 * sharded checkpoint (docs/FORMAT.md, "safetensors"): an 8-byte little-endian header length N, N bytes of JSON
 * (padded with spaces so the data starts at a multiple of 8), then the tensors' values back to back.
 */
public final class Safetensors {
  /** The name of a checkpoint of one file. */
  public static final String SINGLE = "model.safetensors";
  /** The index of a checkpoint of several files. */
  public static final String INDEX = "model.safetensors.index.json";
  /** The largest header the safetensors crate reads. */
  public static final long MAX_HEADER = 100_000_000;
  /** The header key that is not a tensor. */
  public static final String METADATA = "__metadata__";
  /** Bytes of the header-length prefix. */
  public static final int PREFIX = 8;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Safetensors() {}

  /** The name of file {@code index} (from 1) of {@code count}: model.safetensors alone, else model-00001-of-0000N. */
  public static String fileName(int index, int count) {
    return count == 1 ? SINGLE : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", index, count);
  }

  /** The dtype's name in a safetensors header. */
  public static String dtypeName(Dtype d) {
    switch (d) {
      case FLOAT32: return "F32";
      case FLOAT64: return "F64";
      case BFLOAT16: return "BF16";
      case FLOAT16: return "F16";
      default: throw new IllegalArgumentException("safetensors has no dtype " + d.id());
    }
  }

  /** Why a tensor name cannot be a safetensors key, or null when it can. */
  public static String nameProblem(String name) {
    if (name.equals(METADATA)) {
      return "'" + METADATA + "' is the safetensors header's metadata key, not a tensor name";
    }
    return null;
  }

  /** One tensor of a header: its name, dtype, shape and data offsets {@code [begin, end)}. */
  public record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {}

  /**
   * The header of a file: the length prefix and the JSON ({@code __metadata__} first, then the tensors in the
   * given order), padded with spaces to a multiple of 8 bytes.
   */
  public static byte[] header(List<Entry> tensors, Map<String, String> metadata) {
    Map<String, Object> h = new LinkedHashMap<>();
    h.put(METADATA, metadata);
    for (Entry e : tensors) {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("dtype", dtypeName(e.dtype()));
      t.put("shape", e.shape());
      t.put("data_offsets", new long[] {e.begin(), e.end()});
      h.put(e.name(), t);
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(h);
    } catch (IOException e) {
      throw new IllegalStateException(e); // maps of strings, numbers and arrays always serialise
    }
    int n = (json.length + 7) / 8 * 8;
    if (n > MAX_HEADER) {
      throw new IllegalArgumentException("its safetensors header would be " + n + " bytes; readers take at most "
          + MAX_HEADER);
    }
    ByteBuffer b = ByteBuffer.allocate(PREFIX + n).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(n).put(json);
    while (b.hasRemaining()) {
      b.put((byte) ' ');
    }
    return b.array();
  }

  /** A header read back: its JSON, or null when it is not a JSON object. */
  public static JsonNode parse(byte[] json) {
    try {
      JsonNode n = JSON.readTree(new String(json, StandardCharsets.UTF_8));
      return n != null && n.isObject() ? n : null;
    } catch (IOException e) {
      return null;
    }
  }
}
