package dev.shardinit.format;

import dev.shardinit.init.Dtype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The content of one shard file as read back by {@link ShardFiles#read}: the key-value metadata, the element
 * type (from the file's column types, not from the metadata), each row's offset and length, and all values.
 */
public final class ShardData {
  private final Map<String, String> metadata;
  private final Dtype dtype;
  private final long[] offsets;
  private final long[] lengths;
  private final ByteBuffer values;

  public ShardData(Map<String, String> metadata, Dtype dtype, long[] offsets, long[] lengths, ByteBuffer values) {
    if (offsets.length != lengths.length) {
      throw new IllegalArgumentException(offsets.length + " offsets but " + lengths.length + " lengths");
    }
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    this.dtype = dtype;
    this.offsets = offsets;
    this.lengths = lengths;
    this.values = values.slice().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The file's key-value metadata (Parquet footer / Arrow schema metadata), exactly as written. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The element type, from the physical and logical type of the values column. */
  public Dtype dtype() {
    return dtype;
  }

  /** Each row's {@code offset}: the flat index of its first element, in file order. */
  public long[] offsets() {
    return offsets.clone();
  }

  /** Each row's number of elements, in file order. */
  public long[] lengths() {
    return lengths.clone();
  }

  /** The number of rows. */
  public int rows() {
    return offsets.length;
  }

  /** The number of elements, all rows together. */
  public long elements() {
    return values.remaining() / dtype.bytes();
  }

  /**
   * All values of all rows in file order, as raw little-endian bits of the dtype (a new view each call:
   * position 0, limit the byte count).
   */
  public ByteBuffer values() {
    return values.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public String toString() {
    return "ShardData[" + dtype + ", " + offsets.length + " rows, " + elements() + " elements]";
  }
}
