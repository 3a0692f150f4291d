package dev.shardinit.format.arrow;

import dev.shardinit.format.ShardData;
import dev.shardinit.init.Dtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.Arrays;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Reads an Arrow IPC shard file back: for tests and for saying what differs in a file that fails verification. */
public final class ArrowReader {
  private ArrowReader() {}

  /** The file's metadata, dtype (from its column types), rows and values. */
  public static ShardData read(FileSystem fs, Path path) throws IOException {
    long size = fs.getFileStatus(path).getLen();
    try (BufferAllocator alloc = new RootAllocator();
        ArrowFileReader reader = new ArrowFileReader(new FsReadChannel(fs.open(path), size), alloc)) {
      VectorSchemaRoot root;
      try {
        root = reader.getVectorSchemaRoot();
      } catch (RuntimeException e) { // InvalidArrowFileException and flatbuffer errors on foreign bytes
        throw new IOException(path + " is not an Arrow IPC file: " + e.getMessage(), e);
      }
      Schema schema = root.getSchema();
      Field offField = schema.getFields().stream().filter(f -> f.getName().equals(ArrowSchemas.OFFSET)).findFirst().orElse(null);
      Field valField = schema.getFields().stream().filter(f -> f.getName().equals(ArrowSchemas.VALUES)).findFirst().orElse(null);
      if (offField == null || valField == null || !new ArrowType.Int(64, true).equals(offField.getType())
          || !(valField.getType() instanceof ArrowType.List) || valField.getChildren().size() != 1) {
        throw new IOException(path + " is not a shard file: schema " + schema);
      }
      Dtype dt = ArrowSchemas.dtypeOf(valField.getChildren().get(0).getType());
      int bytes = dt.bytes();
      Growing out = new Growing();
      BigIntVector offsets = (BigIntVector) root.getVector(ArrowSchemas.OFFSET);
      ListVector list = (ListVector) root.getVector(ArrowSchemas.VALUES);
      while (reader.loadNextBatch()) {
        int rows = root.getRowCount();
        if (offsets.getNullCount() != 0 || list.getNullCount() != 0) {
          throw new IOException(path + ": null offset or values");
        }
        FieldVector child = list.getDataVector();
        ArrowBuf lo = list.getOffsetBuffer();
        for (int r = 0; r < rows; r++) {
          out.row(offsets.get(r), lo.getInt(4L * (r + 1)) - lo.getInt(4L * r));
        }
        if (rows > 0) {
          int from = lo.getInt(0);
          int to = lo.getInt(4L * rows);
          if (child.getNullCount() != 0) {
            throw new IOException(path + ": null element");
          }
          ByteBuffer dst = out.reserve(Math.toIntExact((long) (to - from) * bytes));
          child.getDataBuffer().getBytes((long) from * bytes, dst);
        }
      }
      Map<String, String> meta = schema.getCustomMetadata();
      return new ShardData(meta == null ? Map.of() : meta, dt, out.offsets(), out.lengths(), out.values());
    }
  }

  /** Row and value accumulators of unknown final size. */
  private static final class Growing {
    private long[] offsets = new long[16];
    private long[] lengths = new long[16];
    private int rows;
    private ByteBuffer values = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

    void row(long offset, long length) {
      if (rows == offsets.length) {
        offsets = Arrays.copyOf(offsets, rows * 2);
        lengths = Arrays.copyOf(lengths, rows * 2);
      }
      offsets[rows] = offset;
      lengths[rows++] = length;
    }

    /** A view of the next n bytes (position to position + n), which it then counts as written. */
    ByteBuffer reserve(int n) {
      if (values.remaining() < n) {
        long cap = Math.max((long) values.position() + n, 2L * values.capacity());
        ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(cap, Integer.MAX_VALUE - 8))
            .order(ByteOrder.LITTLE_ENDIAN);
        values.flip();
        bigger.put(values);
        values = bigger;
      }
      ByteBuffer dst = values.duplicate();
      dst.limit(dst.position() + n);
      values.position(values.position() + n);
      return dst;
    }

    long[] offsets() {
      return Arrays.copyOf(offsets, rows);
    }

    long[] lengths() {
      return Arrays.copyOf(lengths, rows);
    }

    ByteBuffer values() {
      ByteBuffer v = values.duplicate();
      v.flip();
      return v;
    }
  }

  /** A read-only seekable channel over a Hadoop input stream. */
  private static final class FsReadChannel implements SeekableByteChannel {
    private final FSDataInputStream in;
    private final long size;
    private final byte[] chunk = new byte[1 << 18];
    private boolean open = true;

    FsReadChannel(FSDataInputStream in, long size) {
      this.in = in;
      this.size = size;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      if (!dst.hasRemaining()) {
        return 0;
      }
      if (dst.hasArray()) {
        int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
        if (n > 0) {
          dst.position(dst.position() + n);
        }
        return n;
      }
      int n = in.read(chunk, 0, Math.min(chunk.length, dst.remaining()));
      if (n > 0) {
        dst.put(chunk, 0, n);
      }
      return n;
    }

    @Override
    public int write(ByteBuffer src) {
      throw new NonWritableChannelException();
    }

    @Override
    public long position() throws IOException {
      return in.getPos();
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
      in.seek(newPosition);
      return this;
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public SeekableByteChannel truncate(long newSize) {
      throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() throws IOException {
      if (open) {
        open = false;
        in.close();
      }
    }
  }
}
