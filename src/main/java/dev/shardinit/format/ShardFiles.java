package dev.shardinit.format;

import dev.shardinit.init.Dtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * Writes and reads one shard file of a tensor (docs/FORMAT.md), in Parquet or Arrow IPC file format, through
 * the Hadoop FileSystem API (so file://, hdfs://, s3a:// ... all work).
 *
 * <p>A shard covers the flat element range [start, end) of a tensor, cut into pieces; each piece is one row
 * with two columns: {@code offset} (int64, the flat index of the piece's first element) and {@code values}
 * (a list of the elements, stored with their exact bits). The caller's key-value metadata goes into the
 * Parquet footer or the Arrow schema, and nothing else is added to it.
 */
public final class ShardFiles {
  /** Parquet row group size used by {@link #write}: 128 MiB. */
  public static final long DEFAULT_ROW_GROUP_BYTES = 128L << 20;
  /** Parquet page size used by {@link #write}: 1 MiB (a page always holds at least one whole row). */
  public static final int DEFAULT_PAGE_BYTES = 1 << 20;
  /** Most value bytes in one Arrow record batch used by {@link #write}, unless one piece alone is larger. */
  public static final int DEFAULT_BATCH_BYTES = 8 << 20;

  private ShardFiles() {}

  /**
   * Writes one shard file at exactly {@code path}, failing if something exists there, with the defaults:
   * Parquet uncompressed, {@link #DEFAULT_ROW_GROUP_BYTES} row groups and {@link #DEFAULT_PAGE_BYTES} pages;
   * Arrow batches of at most {@link #DEFAULT_BATCH_BYTES} of values.
   *
   * @param start        the flat index of the shard's first element
   * @param pieceLengths the number of elements of each row, in order (each at least 1)
   * @param valuesLE     the shard's values from its position to its limit, little-endian raw bits of
   *                     {@code dtype}, exactly sum(pieceLengths) elements; neither it nor its position is
   *                     changed
   * @param metadata     key-value metadata written as is (null for none)
   */
  public static void write(FileSystem fs, Path path, FileFormat format, Dtype dtype, long start,
      long[] pieceLengths, ByteBuffer valuesLE, Map<String, String> metadata) throws IOException {
    Objects.requireNonNull(format, "format");
    writeWithDefaults(Shard.of(fs, path, dtype, start, pieceLengths, valuesLE, metadata), format);
  }

  /**
   * {@link #write} in Parquet with the given compression codec, row group size and page size (bytes). Values
   * are PLAIN-encoded (no dictionary), in data pages v1 with CRCs; row groups and pages hold whole rows; chunks
   * and pages carry min/max/null_count statistics (column and offset indexes).
   */
  public static void writeParquet(FileSystem fs, Path path, Dtype dtype, long start, long[] pieceLengths,
      ByteBuffer valuesLE, Map<String, String> metadata, CompressionCodecName codec, long rowGroupBytes,
      int pageBytes) throws IOException {
    Objects.requireNonNull(codec, "codec");
    if (rowGroupBytes < 1 || pageBytes < 1) {
      throw new IllegalArgumentException("row group and page sizes must be positive, got " + rowGroupBytes
          + " and " + pageBytes);
    }
    Shard s = Shard.of(fs, path, dtype, start, pieceLengths, valuesLE, metadata);
    ParquetShards.write(s, codec, rowGroupBytes, pageBytes);
  }

  /**
   * Writes one shard file at exactly {@code path}, as {@link #write} does, while its values are still being
   * produced: {@code values} delivers exactly sum(pieceLengths) elements of {@code dtype} in order, and the
   * final metadata after them. The file's bytes are those {@link #write} gives for the same values and final
   * metadata. Arrow needs a stream that implements {@link RewritableOutput} (see {@link ShardSource}) unless the
   * provisional metadata is the final one. On any failure, the source's included, nothing is left at
   * {@code path}.
   */
  public static void writeStreamed(FileSystem fs, Path path, FileFormat format, Dtype dtype, long start,
      long[] pieceLengths, ShardSource values) throws IOException {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(fs, "fs");
    Objects.requireNonNull(path, "path");
    writeWithDefaults(Shard.checked(FileSink.file(fs, path), dtype, start, pieceLengths, null, values, null), format);
  }

  /** {@link #write}'s settings: Parquet uncompressed with the default row group and page sizes; Arrow batches. */
  private static void writeWithDefaults(Shard s, FileFormat format) throws IOException {
    switch (format) {
      case PARQUET:
        ParquetShards.write(s, CompressionCodecName.UNCOMPRESSED, DEFAULT_ROW_GROUP_BYTES, DEFAULT_PAGE_BYTES);
        break;
      case ARROW:
        ArrowShards.write(s, DEFAULT_BATCH_BYTES);
        break;
      default:
        throw new AssertionError(format);
    }
  }

  /**
   * {@link #write} in Arrow IPC file format, each record batch holding consecutive rows with at most
   * {@code batchBytes} of values in all (a single larger row gets a batch of its own).
   */
  public static void writeArrow(FileSystem fs, Path path, Dtype dtype, long start, long[] pieceLengths,
      ByteBuffer valuesLE, Map<String, String> metadata, int batchBytes) throws IOException {
    if (batchBytes < 1) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchBytes);
    }
    Shard s = Shard.of(fs, path, dtype, start, pieceLengths, valuesLE, metadata);
    ArrowShards.write(s, batchBytes);
  }

  /** Reads a shard file back: metadata, dtype (from the column types), row offsets and lengths, and values. */
  public static ShardData read(FileSystem fs, Path path, FileFormat format) throws IOException {
    Objects.requireNonNull(fs, "fs");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(format, "format");
    switch (format) {
      case PARQUET: return ParquetShards.read(fs, path);
      case ARROW: return ArrowShards.read(fs, path);
      default: throw new AssertionError(format);
    }
  }

  /**
   * Encodes one shard file into {@code sink} as {@link #writeStreamed} writes it to a file: the same bytes for
   * the same values and final metadata. Arrow needs the provisional metadata to be the final one here (no
   * rewrite in place).
   */
  public static void encode(FileSink sink, FileFormat format, Dtype dtype, long start, long[] pieceLengths,
      ShardSource values) throws IOException {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(values, "values");
    writeWithDefaults(Shard.checked(sink, dtype, start, pieceLengths, null, values, null), format);
  }

  /** A checked write request: the values, from a buffer or streamed, and the metadata. */
  static final class Shard {
    final FileSink sink;
    final Dtype dtype;
    final long start;
    final long[] lengths;
    /** The values in order, then the metadata. */
    final ShardSource source;

    private Shard(FileSink sink, Dtype dtype, long start, long[] lengths, ShardSource source) {
      this.sink = sink;
      this.dtype = dtype;
      this.start = start;
      this.lengths = lengths;
      this.source = source;
    }

    static Shard of(FileSystem fs, Path path, Dtype dtype, long start, long[] pieceLengths, ByteBuffer valuesLE,
        Map<String, String> metadata) {
      Objects.requireNonNull(valuesLE, "valuesLE");
      Objects.requireNonNull(fs, "fs");
      Objects.requireNonNull(path, "path");
      return checked(FileSink.file(fs, path), dtype, start, pieceLengths, valuesLE, null, metadata);
    }

    /** Exactly one of {@code valuesLE} and {@code source} is given. */
    static Shard checked(FileSink sink, Dtype dtype, long start, long[] pieceLengths,
        ByteBuffer valuesLE, ShardSource source, Map<String, String> metadata) {
      Objects.requireNonNull(sink, "sink");
      Objects.requireNonNull(dtype, "dtype");
      Objects.requireNonNull(pieceLengths, "pieceLengths");
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
      if (source != null) {
        return new Shard(sink, dtype, start, pieceLengths.clone(), source);
      }
      if ((long) valuesLE.remaining() != n * dtype.bytes()) {
        throw new IllegalArgumentException("pieces hold " + n + " " + dtype + " elements (" + n * dtype.bytes()
            + " bytes) but the buffer has " + valuesLE.remaining() + " bytes");
      }
      checkMetadata(metadata);
      ByteBuffer v = valuesLE.slice().order(ByteOrder.LITTLE_ENDIAN);
      Map<String, String> meta = metadata == null ? Map.of() : metadata;
      return new Shard(sink, dtype, start, pieceLengths.clone(), new BufferSource(v, meta));
    }
  }

  static void checkMetadata(Map<String, String> metadata) {
    if (metadata != null) {
      for (Map.Entry<String, String> e : metadata.entrySet()) {
        if (e.getKey() == null || e.getValue() == null) {
          throw new IllegalArgumentException("metadata keys and values must not be null");
        }
      }
    }
  }

  /** The values of a buffer, read in order, and fixed metadata. */
  private static final class BufferSource implements ShardSource {
    private final ByteBuffer values;
    private final Map<String, String> metadata;

    BufferSource(ByteBuffer values, Map<String, String> metadata) {
      this.values = values.duplicate();
      this.metadata = metadata;
    }

    @Override
    public void read(ByteBuffer dst) {
      // the shard's pieces match the buffer: checked when it was made
      int n = dst.remaining();
      dst.put(values.slice().limit(n));
      values.position(values.position() + n);
    }

    @Override
    public Map<String, String> provisionalMetadata() {
      return metadata;
    }

    @Override
    public Map<String, String> metadata() {
      return metadata;
    }
  }
}
