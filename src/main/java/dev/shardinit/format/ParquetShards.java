package dev.shardinit.format;

import dev.shardinit.init.Dtype;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.statistics.SizeStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputCompressor;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopStreams;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * The Parquet shard file, written page by page with parquet-java's low-level {@link ParquetFileWriter} (the
 * pages encoded here, see {@link PageWriter}) and read with its column readers:
 *
 * <pre>
 * message shardinit_tensor {
 *   required int64 offset;
 *   required group values (LIST) {
 *     repeated group list {
 *       required &lt;element type&gt; element;
 *     }
 *   }
 * }
 * </pre>
 *
 * with element type {@code float} (float32), {@code double} (float64), {@code fixed_len_byte_array(2)
 * (FLOAT16)} (float16, the IEEE half bits little-endian) or {@code fixed_len_byte_array(2)} with no logical
 * type (bfloat16, the 16-bit pattern little-endian). Data pages v1, PLAIN values, no dictionary.
 */
final class ParquetShards {
  static final String MESSAGE = "shardinit_tensor";
  static final String OFFSET = "offset";
  static final String VALUES = "values";
  static final String LIST = "list";
  static final String ELEMENT = "element";
  private static final String[] OFFSET_PATH = {OFFSET};
  private static final String[] VALUES_PATH = {VALUES, LIST, ELEMENT};

  private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private ParquetShards() {}

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
  static void startColumn(ParquetFileWriter w, ColumnDescriptor c, long values, CompressionCodecName codec)
      throws IOException {
    w.startColumn(c, values, codec);
    if (ENCODINGS != null) {
      try {
        ENCODINGS.set(w, java.util.EnumSet.noneOf(Encoding.class));
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * Hadoop's default settings, parsed once, on first use: reading, and compressed writes, need them; writing
   * uncompressed files does not, and a job's JVM then parses Hadoop's XML resources once less.
   */
  private static final class Defaults {
    static final Configuration CONF = loaded();
  }

  private static Configuration loaded() {
    Configuration c = new Configuration();
    c.size(); // parses the default resources now, not in every copy
    return c;
  }

  /** A Hadoop Configuration with default settings (a copy: parquet-java may keep or change it). */
  static Configuration conf() {
    return new Configuration(Defaults.CONF);
  }

  /** The element column's type for a dtype. */
  static PrimitiveType elementType(Dtype dt) {
    switch (dt) {
      case FLOAT32: return Types.required(PrimitiveTypeName.FLOAT).named(ELEMENT);
      case FLOAT64: return Types.required(PrimitiveTypeName.DOUBLE).named(ELEMENT);
      case FLOAT16:
        return Types.required(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(2)
            .as(LogicalTypeAnnotation.float16Type()).named(ELEMENT);
      case BFLOAT16: return Types.required(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(2).named(ELEMENT);
      default: throw new AssertionError(dt);
    }
  }

  /** The file schema for a dtype. */
  static MessageType schema(Dtype dt) {
    return Types.buildMessage()
        .required(PrimitiveTypeName.INT64).named(OFFSET)
        .requiredGroup().as(LogicalTypeAnnotation.listType())
            .repeatedGroup().addField(elementType(dt)).named(LIST)
            .named(VALUES)
        .named(MESSAGE);
  }

  /** The dtype stored in an element column, from its physical and logical type. */
  static Dtype dtypeOf(PrimitiveType t) throws IOException {
    LogicalTypeAnnotation a = t.getLogicalTypeAnnotation();
    switch (t.getPrimitiveTypeName()) {
      case FLOAT:
        if (a == null) {
          return Dtype.FLOAT32;
        }
        break;
      case DOUBLE:
        if (a == null) {
          return Dtype.FLOAT64;
        }
        break;
      case FIXED_LEN_BYTE_ARRAY:
        if (t.getTypeLength() == 2 && LogicalTypeAnnotation.float16Type().equals(a)) {
          return Dtype.FLOAT16;
        }
        if (t.getTypeLength() == 2 && a == null) {
          return Dtype.BFLOAT16;
        }
        break;
      default:
        break;
    }
    throw new IOException("unsupported element type '" + t + "'; expected float, double, "
        + "fixed_len_byte_array(2) (FLOAT16) or fixed_len_byte_array(2) (bfloat16)");
  }

  static void write(ShardFiles.Shard s, CompressionCodecName codec, long rowGroupBytes, int pageBytes)
      throws IOException {
    MessageType schema = schema(s.dtype);
    SinkOutputFile out = new SinkOutputFile(s.sink);
    CodecFactory codecs = codec == CompressionCodecName.UNCOMPRESSED ? null : new CodecFactory(conf(), pageBytes);
    boolean ok = false;
    try {
      // parquet-java's default writer settings, as its own ParquetWriter uses them: page CRCs, column and
      // offset indexes with size statistics, column index min/max truncated to 64 bytes
      ParquetProperties props = ParquetProperties.builder().build();
      try (ParquetFileWriter w = new ParquetFileWriter(out, schema, ParquetFileWriter.Mode.CREATE, rowGroupBytes, 0,
          null, props)) {
        try {
          new PageWriter(s, w, schema, codec, codecs == null ? null : codecs.getCompressor(codec), pageBytes)
              .writeRowGroups(rowGroupBytes);
          Map<String, String> metadata = s.source.metadata(); // after the last value
          ShardFiles.checkMetadata(metadata);
          w.end(new LinkedHashMap<>(metadata));
        } catch (Throwable t) {
          w.abort(); // close without flushing; the file is deleted below
          throw t;
        }
      }
      ok = true;
    } finally {
      if (codecs != null) {
        codecs.release();
      }
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
   * <p>Statistics: null_count 0 and exact min/max per page (feeding the column index) and per chunk, ordered
   * as the Parquet spec says for the column's type (IEEE 754 for float, double and FLOAT16; unsigned
   * lexicographic bytes for bfloat16's plain fixed_len_byte_array(2), that is low byte first), with a zero
   * minimum written as -0 and a zero maximum as +0 (for the IEEE orders). A chunk holding a NaN gets
   * no min/max and no column index (NaN has no place in that order).
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

    private final ShardFiles.Shard s;
    private final ParquetFileWriter w;
    private final CompressionCodecName codec;
    private final BytesInputCompressor compressor; // null: uncompressed
    private final int pageBytes;
    private final ColumnDescriptor offCol;
    private final ColumnDescriptor valCol;
    private final int stored;
    /** The page being encoded (levels and values), reused for every page. */
    private byte[] page = new byte[0];
    // the min/max loop's values and each slot's minimum and maximum (or order key), for the column's type:
    // float32, float64, or 16-bit values two to an int
    private final float[] floatSlots;
    private final float[] floatLo;
    private final float[] floatHi;
    private final double[] doubleSlots;
    private final double[] doubleLo;
    private final double[] doubleHi;
    private final int[] pairSlots;
    private final int[] loSlots;
    private final int[] hiSlots;
    // the last page's min and max (bits of the stored type) and whether it held a NaN
    private long min;
    private long max;
    private boolean nan;

    PageWriter(ShardFiles.Shard s, ParquetFileWriter w, MessageType schema, CompressionCodecName codec,
        BytesInputCompressor compressor, int pageBytes) {
      this.s = s;
      this.w = w;
      this.codec = codec;
      this.compressor = compressor;
      this.pageBytes = pageBytes;
      this.offCol = schema.getColumnDescription(OFFSET_PATH);
      this.valCol = schema.getColumnDescription(VALUES_PATH);
      this.stored = s.dtype.bytes();
      boolean f32 = s.dtype == Dtype.FLOAT32;
      boolean f64 = s.dtype == Dtype.FLOAT64;
      boolean narrow = stored == 2;
      this.floatSlots = f32 ? new float[SLOTS] : null;
      this.floatLo = f32 ? new float[SLOTS] : null;
      this.floatHi = f32 ? new float[SLOTS] : null;
      this.doubleSlots = f64 ? new double[SLOTS] : null;
      this.doubleLo = f64 ? new double[SLOTS] : null;
      this.doubleHi = f64 ? new double[SLOTS] : null;
      this.pairSlots = narrow ? new int[SLOTS] : null;
      this.loSlots = narrow ? new int[SLOTS] : null;
      this.hiSlots = narrow ? new int[SLOTS] : null;
      if (offCol.getMaxRepetitionLevel() != 0 || offCol.getMaxDefinitionLevel() != 0
          || valCol.getMaxRepetitionLevel() != 1 || valCol.getMaxDefinitionLevel() != 1) {
        throw new AssertionError("unexpected levels in " + schema);
      }
    }

    void writeRowGroups(long rowGroupBytes) throws IOException {
      long[] lengths = s.lengths;
      int row = 0;
      long element = 0;
      w.start();
      while (row < lengths.length) {
        int end = row;
        long bytes = 0;
        long elements = 0;
        do {
          long b = lengths[end] * stored + Long.BYTES;
          if (end > row && bytes + b > rowGroupBytes) {
            break;
          }
          bytes += b;
          elements += lengths[end++];
        } while (end < lengths.length);
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
      startColumn(w, offCol, to - from, codec);
      long offset = s.start + element;
      for (int r = from; r < to; ) {
        int n = Math.min(perPage, to - r);
        ensure(n * Long.BYTES);
        long first = offset;
        long last = offset;
        for (int i = 0; i < n; i++) {
          LONG.set(page, i * Long.BYTES, offset);
          last = offset;
          offset += s.lengths[r + i];
        }
        Statistics<?> st = Statistics.getBuilderForReading(type)
            .withMin(le(first, Long.BYTES)).withMax(le(last, Long.BYTES)).withNumNulls(0).build();
        writePage(n, n * Long.BYTES, st, n, Encoding.BIT_PACKED, new SizeStatistics(type, 0, List.of(), List.of()));
        r += n;
      }
      w.endColumn();
    }

    /** The values of rows [from, to): the source's next {@code elements} elements. */
    private void valuesChunk(int from, int to, long elements) throws IOException {
      PrimitiveType type = valCol.getPrimitiveType();
      long[] lengths = s.lengths;
      startColumn(w, valCol, elements, codec);
      boolean chunkNaN = false;
      for (int r = from; r < to; ) {
        int end = r;
        long n = 0;
        do {
          if (end > r && ((n + lengths[end]) * stored > pageBytes || end - r == PAGE_ROW_LIMIT)) {
            break;
          }
          n += lengths[end++];
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
        values(count, at);
        Statistics<?> st;
        if (nan) {
          chunkNaN = true;
          st = Statistics.getBuilderForReading(type).withNumNulls(0).build();
        } else {
          st = Statistics.getBuilderForReading(type)
              .withMin(le(min, stored)).withMax(le(max, stored)).withNumNulls(0).build();
        }
        List<Long> repetition = List.of((long) rows, n - rows);
        writePage(count, at + valueBytes, st, rows, Encoding.RLE, new SizeStatistics(type, 0, repetition, List.of()));
        r = end;
      }
      if (chunkNaN) {
        // no min/max for the chunk, and no column index: NaN is outside the order statistics use
        w.invalidateStatistics(Statistics.getBuilderForReading(type).withNumNulls(0).build());
      }
      w.endColumn();
    }

    private void writePage(int valueCount, int size, Statistics<?> st, int rows, Encoding levels, SizeStatistics ss)
        throws IOException {
      BytesInput raw = BytesInput.from(page, 0, size);
      BytesInput bytes = compressor == null ? raw : compressor.compress(raw);
      w.writeDataPage(valueCount, size, bytes, st, rows, levels, levels, Encoding.PLAIN, null, null, ss);
    }

    /** Repetition levels of rows [from, to) at {@code at}; returns the end. */
    private int repetitionLevels(int from, int to, int at) {
      byte[] b = page;
      int zeros = 0; // pending row starts (level 0) not yet written
      for (int r = from; r < to; r++) {
        long len = s.lengths[r];
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

    /**
     * The PLAIN encoding of the next {@code count} elements of the source at page offset {@code at}, and
     * their min, max and NaN flag. The min/max loops fold the values into {@link #SLOTS} slots element-wise,
     * which C2 vectorises; a running min/max over the page is a serial chain of about 1 ns a value.
     */
    private void values(int count, int at) throws IOException {
      switch (s.dtype) {
        case FLOAT32: {
          s.source.read(ByteBuffer.wrap(page, at, count * 4));
          FloatBuffer in = view(at, count * 4).asFloatBuffer();
          float[] x = floatSlots;
          float[] a = floatLo;
          float[] b = floatHi;
          java.util.Arrays.fill(a, Float.POSITIVE_INFINITY);
          java.util.Arrays.fill(b, Float.NEGATIVE_INFINITY);
          for (int p = 0; p < count; p += SLOTS) {
            int m = Math.min(SLOTS, count - p);
            in.get(p, x, 0, m);
            foldFloats(x, a, b, m);
          }
          float lo = Float.POSITIVE_INFINITY;
          float hi = Float.NEGATIVE_INFINITY;
          for (int k = 0; k < SLOTS; k++) { // Math.min/max: a NaN makes both NaN
            lo = Math.min(lo, a[k]);
            hi = Math.max(hi, b[k]);
          }
          nan = Float.isNaN(lo);
          min = Float.floatToRawIntBits(lo == 0f ? -0f : lo) & 0xFFFFFFFFL;
          max = Float.floatToRawIntBits(hi == 0f ? 0f : hi) & 0xFFFFFFFFL;
          break;
        }
        case FLOAT64: {
          s.source.read(ByteBuffer.wrap(page, at, count * 8));
          DoubleBuffer in = view(at, count * 8).asDoubleBuffer();
          double[] x = doubleSlots;
          double[] a = doubleLo;
          double[] b = doubleHi;
          java.util.Arrays.fill(a, Double.POSITIVE_INFINITY);
          java.util.Arrays.fill(b, Double.NEGATIVE_INFINITY);
          for (int p = 0; p < count; p += SLOTS) {
            int m = Math.min(SLOTS, count - p);
            in.get(p, x, 0, m);
            foldDoubles(x, a, b, m);
          }
          double lo = Double.POSITIVE_INFINITY;
          double hi = Double.NEGATIVE_INFINITY;
          for (int k = 0; k < SLOTS; k++) {
            lo = Math.min(lo, a[k]);
            hi = Math.max(hi, b[k]);
          }
          nan = Double.isNaN(lo);
          min = Double.doubleToRawLongBits(lo == 0d ? -0d : lo);
          max = Double.doubleToRawLongBits(hi == 0d ? 0d : hi);
          break;
        }
        case FLOAT16:
        case BFLOAT16:
          s.source.read(ByteBuffer.wrap(page, at, count * 2));
          keyRange(at, count, s.dtype == Dtype.FLOAT16);
          break;
        default:
          throw new AssertionError(s.dtype);
      }
    }

    /**
     * min, max and nan of {@code count} 16-bit values at page offset {@code at}, through an order key per value.
     * FLOAT16 (IEEE order): +magnitude for positive, -magnitude for negative (+0 = -0). bfloat16 as a plain
     * fixed_len_byte_array(2), ordered by its bytes as unsigned, low byte first: the little-endian pattern read
     * big-endian. The values are read two to an int and the keys folded into {@link #SLOTS} slots with min and
     * max written as shifts and masks, which C2 vectorises (on JDK 17 it does not vectorise {@code Math.min} of
     * ints, nor byte swaps).
     */
    private void keyRange(int at, int count, boolean ieee) {
      int pairs = count >>> 1;
      IntBuffer in = view(at, pairs * 4).asIntBuffer();
      int[] x = pairSlots;
      int[] a = loSlots;
      int[] b = hiSlots;
      java.util.Arrays.fill(a, Integer.MAX_VALUE >> 1);
      java.util.Arrays.fill(b, Integer.MIN_VALUE >> 1);
      for (int p = 0; p < pairs; p += SLOTS) {
        int m = Math.min(SLOTS, pairs - p);
        in.get(p, x, 0, m);
        if (ieee) {
          foldIeee(x, a, b, m);
        } else {
          foldBytes(x, a, b, m);
        }
      }
      int lo = Integer.MAX_VALUE;
      int hi = Integer.MIN_VALUE;
      for (int k = 0; k < SLOTS; k++) {
        lo = Math.min(lo, a[k]);
        hi = Math.max(hi, b[k]);
      }
      if ((count & 1) != 0) { // the last value, unpaired
        int p = at + 4 * pairs;
        int low = page[p] & 0xFF;
        int high = page[p + 1] & 0xFF;
        int key = ieee ? ieeeKey(high << 8 | low) : low << 8 | high;
        lo = Math.min(lo, key);
        hi = Math.max(hi, key);
      }
      if (ieee) {
        // a NaN has a magnitude above infinity's 0x7C00: it shows as a key beyond +-0x7C00
        nan = hi > 0x7C00 || lo < -0x7C00;
        min = lo <= 0 ? 0x8000 | -lo : lo; // a zero minimum is -0
        max = hi < 0 ? 0x8000 | -hi : hi; // a zero maximum is +0
      } else {
        nan = false; // no IEEE order for this column: NaN patterns are byte strings like any other here
        min = (lo & 0xFF) << 8 | lo >>> 8; // back to the little-endian pattern le() writes out
        max = (hi & 0xFF) << 8 | hi >>> 8;
      }
    }

    /** The IEEE order key of a binary16 pattern (low 16 bits): +magnitude, or -magnitude when negative. */
    private static int ieeeKey(int bits) {
      int sign = -(bits >>> 15 & 1);
      return ((bits & 0x7FFF) ^ sign) - sign;
    }

    /** Folds {@code x[0 .. m-1]} into the slots' minima and maxima: element-wise, which C2 vectorises. */
    private static void foldFloats(float[] x, float[] a, float[] b, int m) {
      for (int k = 0; k < m; k++) {
        a[k] = Math.min(a[k], x[k]);
        b[k] = Math.max(b[k], x[k]);
      }
    }

    private static void foldDoubles(double[] x, double[] a, double[] b, int m) {
      for (int k = 0; k < m; k++) {
        a[k] = Math.min(a[k], x[k]);
        b[k] = Math.max(b[k], x[k]);
      }
    }

    // Keys lie within +-2^16, so a - b never overflows, and (d & d >> 31) is min(d, 0).
    private static void foldIeee(int[] x, int[] a, int[] b, int m) {
      for (int k = 0; k < m; k++) {
        int v = x[k];
        int s0 = v << 16 >> 31; // -1 when the low value is negative
        int k0 = ((v & 0x7FFF) ^ s0) - s0;
        int s1 = v >> 31;
        int k1 = ((v >>> 16 & 0x7FFF) ^ s1) - s1;
        int d = k0 - k1;
        int neg = d & d >> 31; // min(k0 - k1, 0)
        int lo = k1 + neg;
        int hi = k0 - neg;
        int e = a[k] - lo;
        a[k] = lo + (e & e >> 31);
        int f = b[k] - hi;
        b[k] = b[k] - (f & f >> 31);
      }
    }

    private static void foldBytes(int[] x, int[] a, int[] b, int m) {
      for (int k = 0; k < m; k++) {
        int v = x[k];
        int k0 = (v & 0xFF) << 8 | v >>> 8 & 0xFF;
        int k1 = v >>> 8 & 0xFF00 | v >>> 24;
        int d = k0 - k1;
        int neg = d & d >> 31;
        int lo = k1 + neg;
        int hi = k0 - neg;
        int e = a[k] - lo;
        a[k] = lo + (e & e >> 31);
        int f = b[k] - hi;
        b[k] = b[k] - (f & f >> 31);
      }
    }

    /** A little-endian view of page bytes [at, at + length). */
    private ByteBuffer view(int at, int length) {
      return ByteBuffer.wrap(page, at, length).slice().order(ByteOrder.LITTLE_ENDIAN);
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

  /** An input file opened through the given FileSystem. */
  private static final class FsInputFile implements InputFile {
    private final FileSystem fs;
    private final Path path;
    private final long length;

    FsInputFile(FileSystem fs, Path path) throws IOException {
      this.fs = fs;
      this.path = path;
      this.length = fs.getFileStatus(path).getLen();
    }

    @Override
    public long getLength() {
      return length;
    }

    @Override
    public SeekableInputStream newStream() throws IOException {
      return HadoopStreams.wrap(fs.open(path));
    }

    @Override
    public String toString() {
      return path.toString();
    }
  }

  static ShardData read(FileSystem fs, Path path) throws IOException {
    InputFile in = new FsInputFile(fs, path);
    ParquetFileReader opened;
    try {
      opened = new ParquetFileReader(in, HadoopReadOptions.builder(conf()).build());
    } catch (RuntimeException e) { // parquet-java reports a bad magic number or footer unchecked
      throw new IOException(path + " is not a Parquet file: " + e.getMessage(), e);
    }
    try (ParquetFileReader r = opened) {
      ParquetMetadata footer = r.getFooter();
      MessageType schema = footer.getFileMetaData().getSchema();
      if (!schema.containsPath(OFFSET_PATH) || !schema.containsPath(VALUES_PATH)) {
        throw new IOException(path + " is not a shard file: schema has no offset and values.list.element "
            + "columns: " + schema);
      }
      ColumnDescriptor offCol = schema.getColumnDescription(OFFSET_PATH);
      ColumnDescriptor valCol = schema.getColumnDescription(VALUES_PATH);
      if (offCol.getPrimitiveType().getPrimitiveTypeName() != PrimitiveTypeName.INT64
          || offCol.getMaxDefinitionLevel() != 0 || valCol.getMaxRepetitionLevel() != 1) {
        throw new IOException(path + " is not a shard file: unexpected schema " + schema);
      }
      Dtype dt = dtypeOf(valCol.getPrimitiveType());
      int bytes = dt.bytes();
      int rows = Math.toIntExact(r.getRecordCount());
      // Level entries (elements, plus one per empty list) of the values column in each row group.
      long[] entries = new long[footer.getBlocks().size()];
      long levels = 0;
      for (int g = 0; g < entries.length; g++) {
        for (ColumnChunkMetaData c : footer.getBlocks().get(g).getColumns()) {
          if (Arrays.equals(c.getPath().toArray(), VALUES_PATH)) {
            entries[g] = c.getValueCount();
          }
        }
        levels += entries[g];
      }
      ByteBuffer values = ByteBuffer.allocate(Math.toIntExact(levels * bytes)).order(ByteOrder.LITTLE_ENDIAN);
      long[] offsets = new long[rows];
      long[] lengths = new long[rows];
      String createdBy = footer.getFileMetaData().getCreatedBy();
      GroupConverter none = new NoConverter(schema);
      int maxDef = valCol.getMaxDefinitionLevel();
      int rowBase = 0;
      int group = 0;
      PageReadStore pages;
      while ((pages = r.readNextRowGroup()) != null) {
        int n = Math.toIntExact(pages.getRowCount());
        if (rowBase + n > rows) {
          throw new IOException(path + ": row groups hold more rows than the footer says");
        }
        ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages, none, schema, createdBy);
        ColumnReader oc = store.getColumnReader(offCol);
        for (int i = 0; i < n; i++) {
          offsets[rowBase + i] = oc.getLong();
          oc.consume();
        }
        ColumnReader vc = store.getColumnReader(valCol);
        long total = entries[group++];
        int row = rowBase - 1;
        for (long j = 0; j < total; j++) {
          if (vc.getCurrentRepetitionLevel() == 0) {
            row++;
          }
          if (vc.getCurrentDefinitionLevel() == maxDef) {
            if (row < rowBase || row >= rowBase + n) {
              throw new IOException(path + ": values column does not match the row count");
            }
            lengths[row]++;
            switch (dt) {
              case FLOAT32: values.putFloat(vc.getFloat()); break;
              case FLOAT64: values.putDouble(vc.getDouble()); break;
              case BFLOAT16:
              case FLOAT16: {
                ByteBuffer b = vc.getBinary().toByteBuffer();
                if (b.remaining() != 2) {
                  throw new IOException(path + ": " + dt + " value of " + b.remaining() + " bytes");
                }
                values.put(b);
                break;
              }
              default: throw new AssertionError(dt);
            }
          }
          vc.consume();
        }
        if (row != rowBase + n - 1) {
          throw new IOException(path + ": values column has " + (row - rowBase + 1) + " rows, offset column " + n);
        }
        rowBase += n;
      }
      if (rowBase != rows) {
        throw new IOException(path + ": read " + rowBase + " rows, footer says " + rows);
      }
      values.flip();
      Map<String, String> meta = footer.getFileMetaData().getKeyValueMetaData();
      return new ShardData(meta == null ? Map.of() : meta, dt, offsets, lengths, values);
    }
  }

  /** Converters that are never called: ColumnReadStoreImpl wants one per column even for direct reading. */
  private static final class NoConverter extends GroupConverter {
    private final Converter[] children;

    NoConverter(GroupType g) {
      children = new Converter[g.getFieldCount()];
      for (int i = 0; i < children.length; i++) {
        Type t = g.getType(i);
        children[i] = t.isPrimitive() ? new PrimitiveConverter() {} : new NoConverter(t.asGroupType());
      }
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      return children[fieldIndex];
    }

    @Override
    public void start() {}

    @Override
    public void end() {}
  }
}
