package dev.shardinit.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The model's Hugging Face config in a checkpoint: config.json beside the tensors, which transformers'
 * {@code from_pretrained} reads. The manifest lists it with its size and CRC-32C ({@link Manifest#config}), so
 * it is part of what the manifest commits and what verify checks.
 */
public record ConfigFile(String path, long bytes, int crc32c) {
  /** Its name in the checkpoint. */
  public static final String FILE = "config.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The file's bytes for {@code config}: indented JSON and a newline, as save_pretrained writes it. */
  public static byte[] bytes(JsonNode config) {
    try {
      return (JSON.writeValueAsString(config) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a tree always serialises
    }
  }

  /** Writes {@code config} as config.json into {@code dir} and returns its manifest record. */
  public static ConfigFile write(FileSystem fs, Path dir, JsonNode config) throws IOException {
    byte[] b = bytes(config);
    FileSink.writeWhole(fs, new Path(dir, FILE), new Path(dir, "." + FILE + ".tmp"), out -> out.write(b));
    return of(b);
  }

  /**
   * Copies the config.json {@code from} lists in {@code fromDir} to {@code toDir}, checked against its record.
   *
   * @throws IOException when it cannot be read or written, or is not as recorded
   */
  public static ConfigFile copy(FileSystem fromFs, Path fromDir, ConfigFile from, FileSystem toFs, Path toDir)
      throws IOException {
    if (!fromFs.exists(new Path(fromDir, from.path))) {
      throw new IOException(from.path + ": missing (the manifest lists it)");
    }
    byte[] b = from.read(fromFs, fromDir);
    String problem = from.differs(of(b), b.length > from.bytes);
    if (problem != null) {
      throw new IOException(problem);
    }
    FileSink.writeWhole(toFs, new Path(toDir, FILE), new Path(toDir, "." + FILE + ".tmp"), out -> out.write(b));
    return of(b);
  }

  static ConfigFile of(byte[] b) {
    CRC32C c = new CRC32C();
    c.update(b);
    return new ConfigFile(FILE, b.length, (int) c.getValue());
  }

  /** What is wrong with config.json in {@code dir} against this record, or null when it is as recorded. */
  public String check(FileSystem fs, Path dir) throws IOException {
    if (!fs.exists(new Path(dir, path))) {
      return path + ": missing (the manifest lists it)";
    }
    byte[] b = read(fs, dir);
    return differs(of(b), b.length > bytes);
  }

  /** The file's bytes, at most one more than recorded (enough to tell it is longer). */
  private byte[] read(FileSystem fs, Path dir) throws IOException {
    try (InputStream in = fs.open(new Path(dir, path))) {
      return in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, bytes + 1));
    }
  }

  /** How {@code got} (of a file read up to one byte past the record: {@code longer}) differs, or null. */
  private String differs(ConfigFile got, boolean longer) {
    if (got.bytes != bytes || got.crc32c != crc32c) {
      return path + ": " + (got.bytes != bytes ? (longer ? "more than " : "") + got.bytes + " bytes"
          : "CRC-32C " + ManifestJson.hex(got.crc32c)) + ", but the manifest records "
          + (got.bytes != bytes ? bytes + " bytes" : ManifestJson.hex(crc32c));
    }
    return null;
  }
}
