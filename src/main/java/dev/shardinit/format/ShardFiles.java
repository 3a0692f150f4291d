package dev.shardinit.format;

import dev.shardinit.format.arrow.ArrowReader;
import dev.shardinit.format.arrow.ArrowWriter;
import dev.shardinit.format.parquet.ParquetReader;
import dev.shardinit.format.parquet.ParquetWriter;
import dev.shardinit.init.Dtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Objects;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes and reads one shard file of a tensor (docs/FORMAT.md), in Parquet or Arrow IPC file format, through
 * the Hadoop FileSystem API (so file://, hdfs://, s3a:// ... all work). The one place that picks a format's
 * writer and reader, with their settings.
 *
 * <p>A shard covers the flat element range [start, end) of a tensor, cut into pieces; each piece is one row
 * with two columns: {@code offset} (int64, the flat index of the piece's first element) and {@code values}
 * (a list of the elements, stored with their exact bits). The metadata goes into the Parquet footer or the
 * Arrow schema, and nothing else is added to it.
 */
public final class ShardFiles {
  /** Parquet row groups: at most 128 MiB of values. */
  public static final long ROW_GROUP_BYTES = 128L << 20;
  /** Parquet pages: at most 1 MiB of values (a page always holds at least one whole row). */
  public static final int PAGE_BYTES = 1 << 20;
  /** Arrow record batches: at most 8 MiB of values, unless one piece alone is larger. */
  public static final int BATCH_BYTES = 8 << 20;

  private ShardFiles() {}

  /**
   * Writes one shard file at exactly {@code path} from a buffer of its values, failing if something exists there.
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
    Objects.requireNonNull(valuesLE, "valuesLE");
    long n = 0;
    for (long l : pieceLengths) {
      n += l;
    }
    if ((long) valuesLE.remaining() != n * dtype.bytes()) {
      throw new IllegalArgumentException("pieces hold " + n + " " + dtype + " elements (" + n * dtype.bytes()
          + " bytes) but the buffer has " + valuesLE.remaining() + " bytes");
    }
    Map<String, String> meta = metadata == null ? Map.of() : EncodeRequest.checked(metadata);
    writeStreamed(fs, path, format, dtype, start, pieceLengths,
        new BufferSource(valuesLE.slice().order(ByteOrder.LITTLE_ENDIAN), meta));
  }

  /**
   * Writes one shard file at exactly {@code path} while its values are still being produced: {@code values}
   * delivers exactly sum(pieceLengths) elements of {@code dtype} in order, and the metadata. On any failure, the
   * source's included, nothing is left at {@code path}.
   */
  public static void writeStreamed(FileSystem fs, Path path, FileFormat format, Dtype dtype, long start,
      long[] pieceLengths, ShardSource values) throws IOException {
    Objects.requireNonNull(fs, "fs");
    Objects.requireNonNull(path, "path");
    encode(FileSink.file(fs, path), format, dtype, start, pieceLengths, values);
  }

  /** Encodes one shard file into {@code sink}: the bytes {@link #writeStreamed} writes for the same request. */
  public static void encode(FileSink sink, FileFormat format, Dtype dtype, long start, long[] pieceLengths,
      ShardSource values) throws IOException {
    Objects.requireNonNull(format, "format");
    EncodeRequest r = EncodeRequest.of(sink, dtype, start, pieceLengths, values);
    switch (format) {
      case PARQUET:
        ParquetWriter.write(r, ROW_GROUP_BYTES, PAGE_BYTES);
        break;
      case ARROW:
        ArrowWriter.write(r, BATCH_BYTES);
        break;
      case SAFETENSORS:
        RawValues.write(r);
        break;
      default:
        throw new AssertionError(format);
    }
  }

  /** Reads a shard file back: metadata, dtype (from the column types), row offsets and lengths, and values. */
  public static ShardData read(FileSystem fs, Path path, FileFormat format) throws IOException {
    Objects.requireNonNull(fs, "fs");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(format, "format");
    switch (format) {
      case PARQUET: return ParquetReader.read(fs, path);
      case ARROW: return ArrowReader.read(fs, path);
      default: throw new IllegalArgumentException(format + " files hold whole tensors, not shards");
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
    public void read(ByteBuffer dst) throws IOException {
      int n = dst.remaining();
      if (n > values.remaining()) {
        throw new IOException("the buffer holds fewer values than the pieces");
      }
      dst.put(values.slice().limit(n));
      values.position(values.position() + n);
    }

    @Override
    public Map<String, String> headMetadata() {
      return metadata;
    }

    @Override
    public Map<String, String> metadata() throws IOException {
      if (values.hasRemaining()) {
        throw new IOException("the buffer holds more values than the pieces");
      }
      return metadata;
    }
  }
}
