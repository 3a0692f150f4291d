package dev.shardinit.task;

import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The chunks of one {@link ShardWriter}: at most a fixed number, each made when first needed, no larger than
 * the values it is first asked for (so a task of tiny tensors allocates tiny chunks), and reused from shard to
 * shard. Taking one waits while every chunk is in use.
 */
final class ChunkPool {
  private final BlockingQueue<ByteBuffer> free = new LinkedBlockingQueue<>();
  private final int max;
  private final int bytes;
  private int made;

  /** @param bytes the largest chunk, a positive multiple of 8 */
  ChunkPool(int max, int bytes) {
    if (bytes < 8 || bytes % 8 != 0) {
      throw new IllegalArgumentException("chunk size must be a positive multiple of 8, got " + bytes);
    }
    this.max = max;
    this.bytes = bytes;
  }

  /** A cleared little-endian chunk, for about {@code wanted} bytes of values (it may hold fewer). */
  ByteBuffer take(long wanted) throws InterruptedIOException {
    ByteBuffer b = free.poll();
    if (b == null) {
      synchronized (this) {
        if (made < max) {
          made++;
          int size = (int) Math.min(bytes, Math.max(8, (wanted + 7) / 8 * 8));
          return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        }
      }
      try {
        b = free.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for a free chunk");
      }
    }
    return b.clear();
  }

  void give(ByteBuffer b) {
    free.add(b);
  }
}
