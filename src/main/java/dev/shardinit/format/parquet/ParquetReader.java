package dev.shardinit.format.parquet;

import static dev.shardinit.format.parquet.ParquetSchema.OFFSET_PATH;
import static dev.shardinit.format.parquet.ParquetSchema.VALUES_PATH;

import dev.shardinit.format.ShardData;
import dev.shardinit.init.Dtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopStreams;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * Reads a Parquet shard file back with parquet-java's column readers, value by value: for tests and for saying
 * what differs in a file that fails verification (verify itself compares bytes, {@code task.FileCheck}).
 */
public final class ParquetReader {
  private ParquetReader() {}

  /** The file's metadata, dtype (from its column types), rows and values. */
  public static ShardData read(FileSystem fs, Path path) throws IOException {
    InputFile in = new FsInputFile(fs, path);
    ParquetFileReader opened;
    try {
      opened = new ParquetFileReader(in, HadoopReadOptions.builder(new Configuration()).build());
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
      Dtype dt = ParquetSchema.dtypeOf(valCol.getPrimitiveType());
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
