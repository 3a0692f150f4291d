package dev.shardinit.format.arrow;

import dev.shardinit.format.EncodeRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.fs.FSDataOutputStream;

/**
 * Writes an Arrow IPC shard file ({@link ArrowSchemas}) with Arrow Java's ArrowFileWriter, rows grouped into
 * record batches of at most a given number of value bytes. The schema, with the file's metadata, comes first,
 * so the metadata is what is known before the values; every batch is filled from the source as it is written,
 * so memory is bounded by a batch on every file system.
 */
public final class ArrowWriter {
  private ArrowWriter() {}

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

  /**
   * Writes the file: record batches of at most {@code batchBytes} of values (a single larger row gets a batch of
   * its own), the source's {@link dev.shardinit.format.ShardSource#headMetadata} as the schema's metadata. On any
   * failure the sink's file is discarded.
   */
  public static void write(EncodeRequest s, int batchBytes) throws IOException {
    if (batchBytes < 1) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchBytes);
    }
    int bytes = s.dtype.bytes();
    long[] lengths = s.lengths();
    int[] cuts = batches(lengths, bytes, batchBytes);
    int maxRows = 0;
    long maxElems = 0;
    for (int b = 0; b + 1 < cuts.length; b++) {
      maxRows = Math.max(maxRows, cuts[b + 1] - cuts[b]);
      long e = 0;
      for (int i = cuts[b]; i < cuts[b + 1]; i++) {
        e += lengths[i];
      }
      maxElems = Math.max(maxElems, e);
    }
    Schema schema = ArrowSchemas.schema(s.dtype, EncodeRequest.checked(s.source.headMetadata()));
    boolean ok = false;
    try (BufferAllocator alloc = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, alloc)) {
      BigIntVector offsets = (BigIntVector) root.getVector(ArrowSchemas.OFFSET);
      ListVector list = (ListVector) root.getVector(ArrowSchemas.VALUES);
      // Allocate once for the largest batch; every batch overwrites the same buffers directly (no per-row or
      // per-element setters): row offsets, list offsets, validity bits (nothing is null) and the values.
      offsets.allocateNew(Math.max(maxRows, 1));
      list.setInitialTotalCapacity(Math.max(maxRows, 1), Math.toIntExact(Math.max(maxElems, 1)));
      list.allocateNew();
      BaseFixedWidthVector child = (BaseFixedWidthVector) list.getDataVector();
      ArrowBuf rowOffsets = offsets.getDataBuffer();
      ArrowBuf listOffsets = list.getOffsetBuffer();
      ArrowBuf childData = child.getDataBuffer();
      FsWriteChannel channel = new FsWriteChannel(s.sink.create());
      try (ArrowFileWriter w = new ArrowFileWriter(root, null, channel)) {
        w.start();
        long element = 0;
        for (int b = 0; b + 1 < cuts.length; b++) {
          int rows = cuts[b + 1] - cuts[b];
          long batchStart = element;
          listOffsets.setInt(0L, 0);
          for (int r = 0; r < rows; r++) {
            rowOffsets.setLong((long) r * Long.BYTES, s.start + element);
            element += lengths[cuts[b] + r];
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
        s.source.metadata(); // after the last value: fails if values are left over or could not be produced
        w.end();
      }
      ok = true;
    } finally {
      if (!ok) {
        s.sink.discard();
      }
    }
  }

  /** Sets validity bits [0, count) (and clears the rest of the last byte, which the batch also writes). */
  private static void allValid(ArrowBuf validity, int count) {
    int full = count >>> 3;
    validity.setOne(0L, full);
    if ((count & 7) != 0) {
      validity.setByte(full, (1 << (count & 7)) - 1);
    }
  }

  /**
   * A writable channel over a Hadoop output stream; where the stream under it takes ByteBuffers itself (the
   * local file system's), Arrow's buffers go to it without a copy into a Java array.
   */
  private static final class FsWriteChannel implements WritableByteChannel {
    private final FSDataOutputStream out;
    private final WritableByteChannel direct;
    private final byte[] chunk = new byte[1 << 18];
    private boolean open = true;

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
}
