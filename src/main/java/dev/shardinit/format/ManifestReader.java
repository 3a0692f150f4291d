package dev.shardinit.format;

import static dev.shardinit.format.ManifestJson.FILE_FORMAT;
import static dev.shardinit.format.ManifestJson.FORMAT;
import static dev.shardinit.format.ManifestJson.FORMAT_VERSION;
import static dev.shardinit.format.ManifestJson.PIECE_CAP;
import static dev.shardinit.format.ManifestJson.MAX_SHARD_SIZE;
import static dev.shardinit.format.ManifestJson.SEED;
import static dev.shardinit.format.ManifestJson.SPEC_VERSION;
import static dev.shardinit.format.ManifestJson.TENSORS;
import static dev.shardinit.format.ManifestJson.show;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardinit.format.ManifestJson.ManifestException;
import dev.shardinit.format.ManifestJson.Read;
import dev.shardinit.plan.Layout;
import dev.shardinit.rng.Stream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
            TensorEntry e = new ManifestEntryReader(p.readValueAsTree(), i, problems, paths, packed(fields)).tensor();
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
        entries, config(fields.get(ManifestJson.CONFIG))), problems, paths);
  }

  /** The config.json record, or null when the manifest has none. */
  private static ConfigFile config(JsonNode c) throws ManifestException {
    if (c == null) {
      return null;
    }
    JsonNode path = c.get(ManifestJson.PATH);
    JsonNode bytes = c.get(ManifestJson.BYTES);
    JsonNode crc = c.get(ManifestJson.CRC32C);
    if (!c.isObject() || path == null || !ConfigFile.FILE.equals(path.asText()) || bytes == null
        || !bytes.canConvertToLong() || bytes.asLong() < 0 || crc == null || !crc.isTextual()
        || !crc.asText().matches("[0-9a-f]{8}")) {
      throw new ManifestException(ManifestJson.CONFIG + ": must be {\"path\": \"" + ConfigFile.FILE
          + "\", \"bytes\": n, \"crc32c\": \"8 hex digits\"}, got " + show(c));
    }
    return new ConfigFile(ConfigFile.FILE, bytes.asLong(), Integer.parseUnsignedInt(crc.asText(), 16));
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

}
