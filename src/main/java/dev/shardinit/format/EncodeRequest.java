package dev.shardinit.format;

import dev.shardinit.init.Dtype;
import java.util.Map;
import java.util.Objects;

/**
 * One shard file to encode, checked: where its bytes go, the element type, the flat index of its first element,
 * the length of each row (each at least 1), and its values and metadata ({@link ShardSource}).
 */
public final class EncodeRequest {
  public final FileSink sink;
  public final Dtype dtype;
  public final long start;
  private final long[] lengths;
  public final ShardSource source;

  private EncodeRequest(FileSink sink, Dtype dtype, long start, long[] lengths, ShardSource source) {
    this.sink = sink;
    this.dtype = dtype;
    this.start = start;
    this.lengths = lengths;
    this.source = source;
  }

  /**
   * @throws IllegalArgumentException on a negative start, a row shorter than 1, or rows that overflow the flat
   *     index range
   */
  static EncodeRequest of(FileSink sink, Dtype dtype, long start, long[] pieceLengths, ShardSource source) {
    Objects.requireNonNull(sink, "sink");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(pieceLengths, "pieceLengths");
    Objects.requireNonNull(source, "source");
    if (start < 0) {
      throw new IllegalArgumentException("start must not be negative, got " + start);
    }
    long n = 0;
    for (int i = 0; i < pieceLengths.length; i++) {
      if (pieceLengths[i] < 1) {
        throw new IllegalArgumentException("piece " + i + " has length " + pieceLengths[i] + "; must be >= 1");
      }
      n += pieceLengths[i];
      if (n < 0 || start + n < 0) {
        throw new IllegalArgumentException("pieces overflow the flat index range");
      }
    }
    return new EncodeRequest(sink, dtype, start, pieceLengths.clone(), source);
  }

  /** The number of elements of row {@code i}. */
  public long length(int i) {
    return lengths[i];
  }

  /** The number of rows. */
  public int rows() {
    return lengths.length;
  }

  /** The rows' lengths (a copy). */
  public long[] lengths() {
    return lengths.clone();
  }

  /** Checks metadata a format is about to write: no null keys or values. */
  public static Map<String, String> checked(Map<String, String> metadata) {
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new IllegalArgumentException("metadata keys and values must not be null");
      }
    }
    return metadata;
  }
}
