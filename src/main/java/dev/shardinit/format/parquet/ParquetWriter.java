package dev.shardinit.format.parquet;

import static dev.shardinit.format.parquet.ParquetSchema.OFFSET_PATH;
import static dev.shardinit.format.parquet.ParquetSchema.VALUES_PATH;

import dev.shardinit.format.EncodeRequest;
import dev.shardinit.format.FileSink;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.statistics.SizeStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopStreams;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;

/**
 * Writes a Parquet shard file ({@link ParquetSchema}) page by page with parquet-java's low-level
 * {@link ParquetFileWriter}: the pages are encoded here (parquet-java's value-by-value writer is several calls
 * per element), uncompressed (random values do not compress), data pages v1 with CRCs, PLAIN values.
 */
public final class ParquetWriter {
  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private ParquetWriter() {}

  /**
   * parquet-java's writer field that collects a column chunk's encodings, for the footer. It is a HashSet of enum
   * constants, whose iteration order follows their identity hash codes, which differ from process to process
   * (apache/parquet-java#3215): the same values gave files that differed in two footer bytes from one JVM to the
   * next. {@link #startColumn} replaces it, after each startColumn, by an EnumSet, which lists them in declaration
   * order everywhere. Null if a parquet-java version has no such field (the cross-process test then says whether
   * its files are still the same everywhere).
   */
  private static final java.lang.reflect.Field ENCODINGS = encodingsField();

  private static java.lang.reflect.Field encodingsField() {
    try {
      java.lang.reflect.Field f = ParquetFileWriter.class.getDeclaredField("currentEncodings");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** Starts a column chunk whose footer entry lists its encodings in the same order in every process. */
  static void startColumn(ParquetFileWriter w, ColumnDescriptor c, long values) throws IOException {
    w.startColumn(c, values, CompressionCodecName.UNCOMPRESSED);
    if (ENCODINGS != null) {
      try {
        ENCODINGS.set(w, java.util.EnumSet.noneOf(Encoding.class));
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * Writes the file: row groups of at most {@code rowGroupBytes} and pages of at most {@code pageBytes} of
   * values (a row larger than either gets one of its own), the source's {@link
   * dev.shardinit.format.ShardSource#metadata} in the footer. On any failure the sink's file is discarded.
   */
  public static void write(EncodeRequest s, long rowGroupBytes, int pageBytes) throws IOException {
    if (rowGroupBytes < 1 || pageBytes < 1) {
      throw new IllegalArgumentException("row group and page sizes must be positive, got " + rowGroupBytes
          + " and " + pageBytes);
    }
    MessageType schema = ParquetSchema.schema(s.dtype);
    boolean ok = false;
    try {
      // parquet-java's default writer settings, as its own ParquetWriter uses them: page CRCs, an offset index
      // with size statistics
      ParquetProperties props = ParquetProperties.builder().build();
      try (ParquetFileWriter w = new ParquetFileWriter(new SinkOutputFile(s.sink), schema,
          ParquetFileWriter.Mode.CREATE, rowGroupBytes, 0, null, props)) {
        try {
          new PageWriter(s, w, schema, pageBytes).writeRowGroups(rowGroupBytes);
          Map<String, String> metadata = EncodeRequest.checked(s.source.metadata()); // after the last value
          w.end(new LinkedHashMap<>(metadata));
        } catch (Throwable t) {
          w.abort(); // close without flushing; the file is discarded below
          throw t;
        }
      }
      ok = true;
    } finally {
      if (!ok) {
        s.sink.discard();
      }
    }
  }

  /**
   * Encodes the shard's pages itself and hands them to {@link ParquetFileWriter}, which writes page headers
   * (with CRC), column chunk metadata, column and offset indexes and the footer.
   *
   * <p>Row groups and pages hold whole rows: a row group holds rows while their values (and offsets) fit in
   * the row group size, a values page rows while their values fit in the page size and there are at most
   * {@link #PAGE_ROW_LIMIT} of them; a row larger than either is a row group or page of its own.
   *
   * <p>A data page (v1) of the {@code values.list.element} column (max repetition and definition level 1) is
   * the repetition levels, then the definition levels, each RLE/bit-packed-hybrid encoded (bit width 1) behind
   * its 4-byte little-endian length, then the PLAIN values. A row of L elements has repetition levels 0 then
   * L - 1 ones, written as RLE runs (consecutive one-element rows share one run of zeros); every definition
   * level is 1 (lists are never empty, elements never null): one run. PLAIN values are the raw little-endian
   * bits, so the caller's bytes are copied as they are.
   * {@code offset} (required, not repeated) has no levels: its pages are PLAIN int64s only.
   *
   * <p>Statistics: the offset column's pages and chunks carry their min and max (the first and last offset: a
   * reader that wants a slice of a tensor, WHERE offset BETWEEN ..., skips pages and row groups by them); the
   * values column carries null counts only.
   */
  private static final class PageWriter {
    /** Most rows in a page: parquet-java's default page row count limit, which the files always had. */
    private static final int PAGE_ROW_LIMIT = ParquetProperties.DEFAULT_PAGE_ROW_COUNT_LIMIT;
    /** Longest RLE run written: the run header (count << 1) stays a positive 32-bit int. */
    private static final int MAX_RUN = (1 << 30) - 1;
    /** Most bytes of one RLE run at bit width 1: a 5-byte varint header and the 1-byte value. */
    private static final int RUN_BYTES = 6;
    /** Slots of the 16-bit min/max loop. */
    private static final int SLOTS = 4096;

    private final EncodeRequest s;
    private final ParquetFileWriter w;
    private final int pageBytes;
    private final ColumnDescriptor offCol;
    private final ColumnDescriptor valCol;
    private final int stored;
    /** The page being encoded (levels and values), reused for every page. */
    private byte[] page = new byte[0];
    PageWriter(EncodeRequest s, ParquetFileWriter w, MessageType schema, int pageBytes) {
      this.s = s;
      this.w = w;
      this.pageBytes = pageBytes;
      this.offCol = schema.getColumnDescription(OFFSET_PATH);
      this.valCol = schema.getColumnDescription(VALUES_PATH);
      this.stored = s.dtype.bytes();
      if (offCol.getMaxRepetitionLevel() != 0 || offCol.getMaxDefinitionLevel() != 0
          || valCol.getMaxRepetitionLevel() != 1 || valCol.getMaxDefinitionLevel() != 1) {
        throw new AssertionError("unexpected levels in " + schema);
      }
    }

    void writeRowGroups(long rowGroupBytes) throws IOException {
      int row = 0;
      long element = 0;
      w.start();
      while (row < s.rows()) {
        int end = row;
        long bytes = 0;
        long elements = 0;
        do {
          long b = s.length(end) * stored + Long.BYTES;
          if (end > row && bytes + b > rowGroupBytes) {
            break;
          }
          bytes += b;
          elements += s.length(end++);
        } while (end < s.rows());
        w.startBlock(end - row);
        offsetChunk(row, end, element);
        valuesChunk(row, end, elements);
        w.endBlock();
        row = end;
        element += elements;
      }
    }

    private void ensure(int bytes) {
      if (page.length < bytes) {
        page = new byte[Math.max(bytes, (int) Math.min(Integer.MAX_VALUE - 8, page.length * 3L / 2))];
      }
    }

    /**
     * The offsets of rows [from, to), whose first element is the shard's element {@code element}. The column has
     * no levels; its pages name BIT_PACKED as their level encoding, as parquet-java's own writer does for such
     * columns (so the chunk's encodings stay [BIT_PACKED, PLAIN]).
     */
    @SuppressWarnings("deprecation") // Encoding.BIT_PACKED
    private void offsetChunk(int from, int to, long element) throws IOException {
      PrimitiveType type = offCol.getPrimitiveType();
      int perPage = Math.max(1, Math.min(PAGE_ROW_LIMIT, pageBytes / Long.BYTES));
      startColumn(w, offCol, to - from);
      long offset = s.start + element;
      for (int r = from; r < to; ) {
        int n = Math.min(perPage, to - r);
        ensure(n * Long.BYTES);
        long first = offset;
        long last = offset;
        for (int i = 0; i < n; i++) {
          LONG.set(page, i * Long.BYTES, offset);
          last = offset;
          offset += s.length(r + i);
        }
        Statistics<?> st = Statistics.getBuilderForReading(type)
            .withMin(le(first, Long.BYTES)).withMax(le(last, Long.BYTES)).withNumNulls(0).build();
        writePage(n, n * Long.BYTES, st, n, Encoding.BIT_PACKED, new SizeStatistics(type, 0, List.of(), List.of()));
        r += n;
      }
      w.endColumn();
    }

    /**
     * The values of rows [from, to): the source's next {@code elements} elements. Pages carry a null count of 0
     * and no min/max; the chunk keeps no statistics and no column index (readers of weight files do not filter
     * on values; the manifest has each file's min, max, mean and std).
     */
    private void valuesChunk(int from, int to, long elements) throws IOException {
      PrimitiveType type = valCol.getPrimitiveType();
      startColumn(w, valCol, elements);
      Statistics<?> none = Statistics.getBuilderForReading(type).withNumNulls(0).build();
      for (int r = from; r < to; ) {
        int end = r;
        long n = 0;
        do {
          if (end > r && ((n + s.length(end)) * stored > pageBytes || end - r == PAGE_ROW_LIMIT)) {
            break;
          }
          n += s.length(end++);
        } while (end < to);
        int rows = end - r;
        int count = Math.toIntExact(n);
        int valueBytes = Math.toIntExact(n * stored);
        // runs: at most one of zeros and one of ones per row, one of ones per extra MAX_RUN, one per MAX_RUN of
        // definition levels
        int levelBytes = 2 * Integer.BYTES + RUN_BYTES * (2 * rows + 3 + 2 * (count / MAX_RUN));
        ensure(Math.addExact(levelBytes, valueBytes));
        int at = Integer.BYTES;
        at = repetitionLevels(r, end, at);
        INT.set(page, 0, at - Integer.BYTES);
        int dl = at;
        at = runs(page, at + Integer.BYTES, count, 1);
        INT.set(page, dl, at - dl - Integer.BYTES);
        s.source.read(ByteBuffer.wrap(page, at, valueBytes).slice().order(ByteOrder.LITTLE_ENDIAN));
        List<Long> repetition = List.of((long) rows, n - rows);
        writePage(count, at + valueBytes, none, rows, Encoding.RLE, new SizeStatistics(type, 0, repetition, List.of()));
        r = end;
      }
      w.invalidateStatistics(none); // no chunk min/max, no column index
      w.endColumn();
    }

    private void writePage(int valueCount, int size, Statistics<?> st, int rows, Encoding levels, SizeStatistics ss)
        throws IOException {
      w.writeDataPage(valueCount, size, BytesInput.from(page, 0, size), st, rows, levels, levels, Encoding.PLAIN,
          null, null, ss);
    }

    /** Repetition levels of rows [from, to) at {@code at}; returns the end. */
    private int repetitionLevels(int from, int to, int at) {
      byte[] b = page;
      int zeros = 0; // pending row starts (level 0) not yet written
      for (int r = from; r < to; r++) {
        long len = s.length(r);
        zeros++;
        if (len > 1) {
          at = runs(b, at, zeros, 0);
          zeros = 0;
          at = runs(b, at, len - 1, 1);
        }
      }
      return runs(b, at, zeros, 0);
    }

    /** RLE runs of {@code count} levels of {@code value} (bit width 1) at {@code at}; returns the end. */
    private static int runs(byte[] b, int at, long count, int value) {
      while (count > 0) {
        int n = (int) Math.min(count, MAX_RUN);
        int header = n << 1; // the low bit 0 marks an RLE run
        while ((header & ~0x7F) != 0) {
          b[at++] = (byte) ((header & 0x7F) | 0x80);
          header >>>= 7;
        }
        b[at++] = (byte) header;
        b[at++] = (byte) value; // the value in ceil(1 / 8) = 1 byte
        count -= n;
      }
      return at;
    }

    /** The low {@code bytes} bytes of {@code x}, little-endian: a PLAIN value for statistics. */
    private static byte[] le(long x, int bytes) {
      byte[] b = new byte[bytes];
      for (int i = 0; i < bytes; i++) {
        b[i] = (byte) (x >>> (8 * i));
      }
      return b;
    }
  }

  /** parquet-java's view of a {@link FileSink}. */
  private static final class SinkOutputFile implements OutputFile {
    private final FileSink sink;

    SinkOutputFile(FileSink sink) {
      this.sink = sink;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
      return HadoopStreams.wrap(sink.create());
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
      return create(blockSizeHint); // shard files are never overwritten
    }

    @Override
    public boolean supportsBlockSize() {
      return false;
    }

    @Override
    public long defaultBlockSize() {
      return 0;
    }

    @Override
    public String getPath() {
      return sink.describe();
    }
  }
}
