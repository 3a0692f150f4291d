package dev.shardinit.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A shard's values as they are produced, for a write that runs beside the fill: the writer reads them once, in
 * order, and asks for the file's final metadata (which may depend on all the values, such as their checksum)
 * only after the last one. Parquet puts its metadata in the footer. Arrow puts it in the schema, ahead of the
 * values, so an Arrow file is written with the {@link #provisionalMetadata} and its bytes rewritten in place
 * at the end, which needs a stream that can do that ({@link RewritableOutput}).
 */
public interface ShardSource {
  /** Reads the next {@code dst.remaining()} bytes of values into {@code dst}, waiting for them to be produced. */
  void read(ByteBuffer dst) throws IOException;

  /**
   * The metadata as far as it is known before the values: the same keys as {@link #metadata}, and each value
   * either equal to its final one or of the same length in UTF-8 (a placeholder, such as a checksum of zeros).
   */
  Map<String, String> provisionalMetadata();

  /**
   * The file's key-value metadata, once every value has been read; fails if values are left over (or their
   * production failed). Keys and values must not be null.
   */
  Map<String, String> metadata() throws IOException;
}
