package dev.shardinit.format;

import java.io.IOException;
import java.util.Map;

/**
 * A shard's values as they are produced, for a Parquet write that runs beside the fill: the writer reads them
 * once, in order, a page at a time, and asks for the file's metadata (which may depend on all the values, such
 * as their checksum) only after the last one. Parquet puts its metadata in the footer, so a shard file can be
 * written without the whole shard in memory; Arrow puts it first, so Arrow writes take a whole buffer.
 */
public interface ShardSource {
  /**
   * Copies the next {@code length} bytes of values into {@code dst[at .. at + length)}, waiting for them to be
   * produced; fails if the values end (or their production failed) first.
   */
  void read(byte[] dst, int at, int length) throws IOException;

  /**
   * The file's key-value metadata, once every value has been read; fails if values are left over (or their
   * production failed). Keys and values must not be null.
   */
  Map<String, String> metadata() throws IOException;
}
