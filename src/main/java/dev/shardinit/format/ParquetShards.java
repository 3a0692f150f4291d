package dev.shardinit.format;

import dev.shardinit.init.Dtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopStreams;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * The Parquet shard file, written with parquet-java's low-level API and our own {@link WriteSupport}:
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
 * (FLOAT16)} (float16, the IEEE half bits little-endian) or {@code int32 (INTEGER(16,false))} (bfloat16, the
 * 16-bit pattern as an unsigned integer).
 */
final class ParquetShards {
  static final String MESSAGE = "shardinit_tensor";
  static final String OFFSET = "offset";
  static final String VALUES = "values";
  static final String LIST = "list";
  static final String ELEMENT = "element";
  private static final String[] OFFSET_PATH = {OFFSET};
  private static final String[] VALUES_PATH = {VALUES, LIST, ELEMENT};

  /** Hadoop's default settings, parsed once; every call gets its own copy. */
  private static final Configuration DEFAULTS = loaded();

  private ParquetShards() {}

  private static Configuration loaded() {
    Configuration c = new Configuration();
    c.size(); // parses the default resources now, not in every copy
    return c;
  }

  /** A Hadoop Configuration with default settings (a copy: parquet-java may keep or change it). */
  static Configuration conf() {
    return new Configuration(DEFAULTS);
  }

  /** The element column's type for a dtype. */
  static PrimitiveType elementType(Dtype dt) {
    switch (dt) {
      case FLOAT32: return Types.required(PrimitiveTypeName.FLOAT).named(ELEMENT);
      case FLOAT64: return Types.required(PrimitiveTypeName.DOUBLE).named(ELEMENT);
      case FLOAT16:
        return Types.required(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(2)
            .as(LogicalTypeAnnotation.float16Type()).named(ELEMENT);
      case BFLOAT16:
        return Types.required(PrimitiveTypeName.INT32).as(LogicalTypeAnnotation.intType(16, false)).named(ELEMENT);
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
        break;
      case INT32:
        if (LogicalTypeAnnotation.intType(16, false).equals(a)) {
          return Dtype.BFLOAT16;
        }
        break;
      default:
        break;
    }
    throw new IOException("unsupported element type '" + t + "'; expected float, double, "
        + "fixed_len_byte_array(2) (FLOAT16) or int32 (INTEGER(16,false))");
  }

  static void write(ShardFiles.Shard s, CompressionCodecName codec, long rowGroupBytes, int pageBytes)
      throws IOException {
    FsOutputFile out = new FsOutputFile(s.fs, s.path);
    boolean ok = false;
    try {
      try (ParquetWriter<Integer> w = new Builder(out, s)
          .withConf(conf())
          .withWriteMode(ParquetFileWriter.Mode.CREATE)
          .withWriterVersion(WriterVersion.PARQUET_1_0)
          .withDictionaryEncoding(false)
          .withByteStreamSplitEncoding(false)
          .withBloomFilterEnabled(false)
          .withCompressionCodec(codec)
          .withRowGroupSize(rowGroupBytes)
          .withPageSize(pageBytes)
          // Rows can be megabytes: check page and row group sizes after every row (parquet-java otherwise
          // checks after 100 rows, or schedules the next check from the average row size so far, which a
          // one-element first row makes far too late), so a row group never grows past its size by more
          // than one row.
          .withMinRowCountForPageSizeCheck(1)
          .withMaxRowCountForPageSizeCheck(1)
          .withValidation(false)
          .build()) {
        for (int i = 0; i < s.lengths.length; i++) {
          w.write(i);
        }
      }
      ok = true;
    } finally {
      if (!ok && out.created) {
        deleteQuietly(s.fs, s.path);
      }
    }
  }

  static void deleteQuietly(FileSystem fs, Path p) {
    try {
      fs.delete(p, false);
    } catch (IOException | RuntimeException e) {
      // the original failure is what matters
    }
  }

  private static final class Builder extends ParquetWriter.Builder<Integer, Builder> {
    private final ShardFiles.Shard shard;

    Builder(OutputFile file, ShardFiles.Shard shard) {
      super(file);
      this.shard = shard;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    @SuppressWarnings("deprecation") // abstract in ParquetWriter.Builder, so it must be implemented
    protected WriteSupport<Integer> getWriteSupport(Configuration conf) {
      return new PieceWriteSupport(shard);
    }

    @Override
    protected WriteSupport<Integer> getWriteSupport(ParquetConfiguration conf) {
      return new PieceWriteSupport(shard);
    }
  }

  /** Writes piece i of the shard as one record. */
  private static final class PieceWriteSupport extends WriteSupport<Integer> {
    private final ShardFiles.Shard s;
    private final MessageType schema;
    private final long[] firstElement;
    private final byte[] half = new byte[2];
    private final Binary halfBinary = Binary.fromReusedByteArray(half);
    private RecordConsumer rc;

    PieceWriteSupport(ShardFiles.Shard s) {
      this.s = s;
      this.schema = schema(s.dtype);
      this.firstElement = new long[s.lengths.length];
      long at = 0;
      for (int i = 0; i < s.lengths.length; i++) {
        firstElement[i] = at;
        at += s.lengths[i];
      }
    }

    @Override
    @SuppressWarnings("deprecation") // abstract in WriteSupport, so it must be implemented
    public WriteContext init(Configuration configuration) {
      return new WriteContext(schema, new LinkedHashMap<>(s.metadata));
    }

    @Override
    public WriteContext init(ParquetConfiguration configuration) {
      return new WriteContext(schema, new LinkedHashMap<>(s.metadata));
    }

    @Override
    public void prepareForWrite(RecordConsumer recordConsumer) {
      this.rc = recordConsumer;
    }

    @Override
    public void write(Integer piece) {
      int i = piece;
      long first = firstElement[i];
      int n = Math.toIntExact(s.lengths[i]);
      int bytes = s.dtype.bytes();
      int p = Math.toIntExact(first * bytes);
      ByteBuffer v = s.values;
      RecordConsumer c = rc;
      c.startMessage();
      c.startField(OFFSET, 0);
      c.addLong(s.start + first);
      c.endField(OFFSET, 0);
      c.startField(VALUES, 1);
      c.startGroup();
      c.startField(LIST, 0);
      switch (s.dtype) {
        case FLOAT32:
          for (int k = 0; k < n; k++, p += 4) {
            c.startGroup();
            c.startField(ELEMENT, 0);
            c.addFloat(v.getFloat(p));
            c.endField(ELEMENT, 0);
            c.endGroup();
          }
          break;
        case FLOAT64:
          for (int k = 0; k < n; k++, p += 8) {
            c.startGroup();
            c.startField(ELEMENT, 0);
            c.addDouble(v.getDouble(p));
            c.endField(ELEMENT, 0);
            c.endGroup();
          }
          break;
        case FLOAT16:
          // Parquet's FLOAT16 is the IEEE binary16 bits, little-endian, in a 2-byte FLBA: copy them as they are.
          for (int k = 0; k < n; k++, p += 2) {
            half[0] = v.get(p);
            half[1] = v.get(p + 1);
            c.startGroup();
            c.startField(ELEMENT, 0);
            c.addBinary(halfBinary);
            c.endField(ELEMENT, 0);
            c.endGroup();
          }
          break;
        case BFLOAT16:
          for (int k = 0; k < n; k++, p += 2) {
            c.startGroup();
            c.startField(ELEMENT, 0);
            c.addInteger(v.getShort(p) & 0xFFFF);
            c.endField(ELEMENT, 0);
            c.endGroup();
          }
          break;
        default:
          throw new AssertionError(s.dtype);
      }
      c.endField(LIST, 0);
      c.endGroup();
      c.endField(VALUES, 1);
      c.endMessage();
    }
  }

  /** An output file created through the given FileSystem, never overwriting. */
  private static final class FsOutputFile implements OutputFile {
    private final FileSystem fs;
    private final Path path;
    boolean created;

    FsOutputFile(FileSystem fs, Path path) {
      this.fs = fs;
      this.path = path;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
      FSDataOutputStream out = fs.create(path, false);
      created = true;
      return HadoopStreams.wrap(out);
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
      return path.toString();
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
              case BFLOAT16: values.putShort((short) vc.getInteger()); break;
              case FLOAT16: {
                ByteBuffer b = vc.getBinary().toByteBuffer();
                if (b.remaining() != 2) {
                  throw new IOException(path + ": float16 value of " + b.remaining() + " bytes");
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
