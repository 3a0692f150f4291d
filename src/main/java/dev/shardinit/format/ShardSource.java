package dev.shardinit.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A shard's values as they are produced, for a write that runs beside the fill: the writer reads them once, in
 * order. A file's metadata goes where its format puts it: Parquet in the footer, after the values, so it may
 * depend on them ({@link #metadata}, with the values' checksum); Arrow in the schema, before them, so it may
 * not ({@link #headMetadata}).
 */
public interface ShardSource {
  /** Reads the next {@code dst.remaining()} bytes of values into {@code dst}, waiting for them to be produced. */
  void read(ByteBuffer dst) throws IOException;

  /** The metadata known before the values: what a format that writes its metadata first embeds. */
  Map<String, String> headMetadata();

  /**
   * The metadata once every value has been read (it may depend on them); fails if values are left over, or
   * their production failed. Keys and values must not be null.
   */
  Map<String, String> metadata() throws IOException;
}
