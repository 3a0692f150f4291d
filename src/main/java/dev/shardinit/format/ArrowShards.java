package dev.shardinit.format;

import dev.shardinit.init.Dtype;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The Arrow IPC file (Arrow Java's ArrowFileWriter): schema {@code offset: Int64 not null, values:
 * List<item: T not null> not null} with T = FloatingPoint(SINGLE) (float32), FloatingPoint(DOUBLE) (float64),
 * FloatingPoint(HALF) (float16) or Int(16, unsigned) (bfloat16 bit patterns); the caller's metadata is the
 * schema's custom metadata. Rows are grouped into record batches of at most a given number of value bytes.
 */
final class ArrowShards {
  static final String OFFSET = "offset";
  static final String VALUES = "values";
  /** The list's child field: Arrow's conventional name (pyarrow's default). */
  static final String ITEM = "item";
  private static final int IO_CHUNK = 1 << 18;

  private ArrowShards() {}

  static ArrowType elementType(Dtype dt) {
    switch (dt) {
      case FLOAT32: return new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
      case FLOAT64: return new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case FLOAT16: return new ArrowType.FloatingPoint(FloatingPointPrecision.HALF);
      case BFLOAT16: return new ArrowType.Int(16, false);
      default: throw new AssertionError(dt);
    }
  }

  static Dtype dtypeOf(ArrowType t) throws IOException {
    if (t instanceof ArrowType.FloatingPoint) {
      switch (((ArrowType.FloatingPoint) t).getPrecision()) {
        case SINGLE: return Dtype.FLOAT32;
        case DOUBLE: return Dtype.FLOAT64;
        case HALF: return Dtype.FLOAT16;
        default: break;
      }
    } else if (t instanceof ArrowType.Int) {
      ArrowType.Int i = (ArrowType.Int) t;
      if (i.getBitWidth() == 16 && !i.getIsSigned()) {
        return Dtype.BFLOAT16;
      }
    }
    throw new IOException("unsupported element type " + t
        + "; expected FloatingPoint(SINGLE|DOUBLE|HALF) or Int(16, unsigned)");
  }

  static Schema schema(Dtype dt, Map<String, String> metadata) {
    Field item = new Field(ITEM, FieldType.notNullable(elementType(dt)), null);
    Field offset = new Field(OFFSET, FieldType.notNullable(new ArrowType.Int(64, true)), null);
    Field values = new Field(VALUES, FieldType.notNullable(ArrowType.List.INSTANCE), List.of(item));
    return new Schema(List.of(offset, values), metadata.isEmpty() ? null : metadata);
  }

  /** Batch boundaries: batch b holds rows [cuts[b], cuts[b + 1]). */
  static int[] batches(long[] lengths, int bytesPerElement, long batchBytes) {
    int[] cuts = new int[lengths.length + 1];
    int count = 0;
    long inBatch = 0;
    for (int i = 0; i < lengths.length; i++) {
      long b = lengths[i] * bytesPerElement;
      if (i > 0 && inBatch + b > batchBytes) {
        cuts[++count] = i;
        inBatch = 0;
      }
      inBatch += b;
    }
    if (lengths.length > 0) {
      cuts[++count] = lengths.length;
    }
    return Arrays.copyOf(cuts, count + 1);
  }

  static void write(ShardFiles.Shard s, int batchBytes) throws IOException {
    int bytes = s.dtype.bytes();
    int[] cuts = batches(s.lengths, bytes, batchBytes);
    int maxRows = 0;
    long maxElems = 0;
    for (int b = 0; b + 1 < cuts.length; b++) {
      maxRows = Math.max(maxRows, cuts[b + 1] - cuts[b]);
      long e = 0;
      for (int i = cuts[b]; i < cuts[b + 1]; i++) {
        e += s.lengths[i];
      }
      maxElems = Math.max(maxElems, e);
    }
    Map<String, String> provisional = s.source.provisionalMetadata();
    ShardFiles.checkMetadata(provisional);
    Schema schema = schema(s.dtype, provisional);
    boolean created = false;
    boolean ok = false;
    try (BufferAllocator alloc = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, alloc)) {
      BigIntVector offsets = (BigIntVector) root.getVector(OFFSET);
      ListVector list = (ListVector) root.getVector(VALUES);
      // Allocate once for the largest batch; every batch overwrites the same buffers directly (no per-row or
      // per-element setters): row offsets, list offsets, validity bits (nothing is null) and the values.
      offsets.allocateNew(Math.max(maxRows, 1));
      list.setInitialTotalCapacity(Math.max(maxRows, 1), Math.toIntExact(Math.max(maxElems, 1)));
      list.allocateNew();
      BaseFixedWidthVector child = (BaseFixedWidthVector) list.getDataVector();
      ArrowBuf rowOffsets = offsets.getDataBuffer();
      ArrowBuf listOffsets = list.getOffsetBuffer();
      ArrowBuf childData = child.getDataBuffer();
      FSDataOutputStream stream = s.sink.create();
      created = true;
      FsWriteChannel channel = new FsWriteChannel(stream);
      try (ArrowFileWriter w = new ArrowFileWriter(root, null, channel)) {
        long headAt = channel.position();
        channel.record();
        w.start();
        byte[] head = channel.recorded(); // magic and schema
        long element = 0;
        for (int b = 0; b + 1 < cuts.length; b++) {
          int rows = cuts[b + 1] - cuts[b];
          long batchStart = element;
          listOffsets.setInt(0L, 0);
          for (int r = 0; r < rows; r++) {
            rowOffsets.setLong((long) r * Long.BYTES, s.start + element);
            element += s.lengths[cuts[b] + r];
            listOffsets.setInt((long) (r + 1) * Integer.BYTES, Math.toIntExact(element - batchStart));
          }
          int elements = Math.toIntExact(element - batchStart);
          allValid(offsets.getValidityBuffer(), rows);
          allValid(list.getValidityBuffer(), rows);
          allValid(child.getValidityBuffer(), elements);
          list.setLastSet(rows - 1); // the list offsets of rows [0, rows) are set
          s.source.read(childData.nioBuffer(0L, Math.toIntExact((long) elements * bytes)));
          root.setRowCount(rows);
          w.writeBatch();
        }
        Map<String, String> metadata = s.source.metadata(); // after the last value
        ShardFiles.checkMetadata(metadata);
        long footerAt = channel.position();
        channel.record();
        w.end();
        byte[] tail = channel.recorded(); // the footer, which repeats the schema
        if (!metadata.equals(provisional)) {
          stream.flush();
          rewrite(stream, provisional, metadata, head, headAt, tail, footerAt);
        }
      }
      ok = true;
    } finally {
      if (!ok && created) {
        s.sink.discard();
      }
    }
  }

  /**
   * Puts the final metadata into the schema at the head of the file and into the footer's copy of it: each
   * value that differs from its provisional one (same keys, same UTF-8 lengths: the flatbuffers keep their
   * layout) is found, once, in each and overwritten in place.
   */
  private static void rewrite(FSDataOutputStream stream, Map<String, String> provisional,
      Map<String, String> metadata, byte[] head, long headAt, byte[] tail, long tailAt) throws IOException {
    if (!(stream.getWrappedStream() instanceof RewritableOutput)) {
      throw new IOException("an Arrow file's schema metadata can only be completed on a stream that can rewrite"
          + " bytes (a local file); write Arrow from a whole buffer here");
    }
    RewritableOutput out = (RewritableOutput) stream.getWrappedStream();
    if (!provisional.keySet().equals(metadata.keySet())) {
      throw new IOException("final metadata keys " + metadata.keySet() + " differ from the provisional "
          + provisional.keySet());
    }
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      byte[] was = provisional.get(e.getKey()).getBytes(StandardCharsets.UTF_8);
      byte[] now = e.getValue().getBytes(StandardCharsets.UTF_8);
      if (Arrays.equals(was, now)) {
        continue;
      }
      if (was.length != now.length) {
        throw new IOException("final metadata value of " + e.getKey() + " is " + now.length
            + " bytes in UTF-8, its provisional value " + was.length);
      }
      out.rewrite(headAt + onlyPlace(head, was, e.getKey()), ByteBuffer.wrap(now));
      out.rewrite(tailAt + onlyPlace(tail, was, e.getKey()), ByteBuffer.wrap(now));
    }
  }

  /** Where {@code what} occurs in {@code in}; it must occur exactly once. */
  private static int onlyPlace(byte[] in, byte[] what, String key) throws IOException {
    int found = -1;
    for (int i = 0; i + what.length <= in.length; i++) {
      if (Arrays.equals(in, i, i + what.length, what, 0, what.length)) {
        if (found >= 0) {
          throw new IOException("provisional metadata value of " + key + " occurs twice in the schema");
        }
        found = i;
      }
    }
    if (found < 0) {
      throw new IOException("provisional metadata value of " + key + " not found in the schema");
    }
    return found;
  }

  /** Sets validity bits [0, count) (and clears the rest of the last byte, which the batch also writes). */
  private static void allValid(ArrowBuf validity, int count) {
    int full = count >>> 3;
    validity.setOne(0L, full);
    if ((count & 7) != 0) {
      validity.setByte(full, (1 << (count & 7)) - 1);
    }
  }

  static ShardData read(FileSystem fs, Path path) throws IOException {
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
      Field offField = schema.getFields().stream().filter(f -> f.getName().equals(OFFSET)).findFirst().orElse(null);
      Field valField = schema.getFields().stream().filter(f -> f.getName().equals(VALUES)).findFirst().orElse(null);
      if (offField == null || valField == null || !new ArrowType.Int(64, true).equals(offField.getType())
          || !(valField.getType() instanceof ArrowType.List) || valField.getChildren().size() != 1) {
        throw new IOException(path + " is not a shard file: schema " + schema);
      }
      Dtype dt = dtypeOf(valField.getChildren().get(0).getType());
      int bytes = dt.bytes();
      Growing out = new Growing();
      BigIntVector offsets = (BigIntVector) root.getVector(OFFSET);
      ListVector list = (ListVector) root.getVector(VALUES);
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

  /**
   * A writable channel over a Hadoop output stream; where the stream under it takes ByteBuffers itself (the
   * local file system's), Arrow's buffers go to it without a copy into a Java array.
   */
  private static final class FsWriteChannel implements WritableByteChannel {
    private final FSDataOutputStream out;
    private final WritableByteChannel direct;
    private final byte[] chunk = new byte[IO_CHUNK];
    private boolean open = true;
    private long position;
    private java.io.ByteArrayOutputStream recording;

    /** Bytes written so far. */
    long position() {
      return position;
    }

    /** Starts keeping a copy of what is written (the small parts of a file: schema, footer). */
    void record() {
      recording = new java.io.ByteArrayOutputStream();
    }

    /** What was written since {@link #record}; stops keeping it. */
    byte[] recorded() {
      byte[] b = recording.toByteArray();
      recording = null;
      return b;
    }

    FsWriteChannel(FSDataOutputStream out) {
      this.out = out;
      this.direct = out.getWrappedStream() instanceof WritableByteChannel
          ? (WritableByteChannel) out.getWrappedStream() : null;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      int n = src.remaining();
      position += n;
      if (recording != null) {
        byte[] b = new byte[n];
        src.duplicate().get(b);
        recording.writeBytes(b);
      }
      if (direct != null) {
        while (src.hasRemaining()) {
          direct.write(src);
        }
      } else if (src.hasArray()) {
        out.write(src.array(), src.arrayOffset() + src.position(), n);
        src.position(src.limit());
      } else {
        while (src.hasRemaining()) {
          int k = Math.min(chunk.length, src.remaining());
          src.get(chunk, 0, k);
          out.write(chunk, 0, k);
        }
      }
      return n;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() throws IOException {
      if (open) {
        open = false;
        out.close();
      }
    }
  }

  /** A read-only seekable channel over a Hadoop input stream. */
  private static final class FsReadChannel implements SeekableByteChannel {
    private final FSDataInputStream in;
    private final long size;
    private final byte[] chunk = new byte[IO_CHUNK];
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
