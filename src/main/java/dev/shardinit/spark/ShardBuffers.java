package dev.shardinit.spark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The shard buffers of this JVM's task threads: a {@link ShardWriter} takes two and gives them back when it
 * closes, so buffers are reused from task to task, and the warm-up can allocate (and so touch) them while
 * Spark starts. The pool holds at most the buffers of the writers that ran at once.
 */
final class ShardBuffers {
  private static final ConcurrentLinkedDeque<ByteBuffer> FREE = new ConcurrentLinkedDeque<>();

  private ShardBuffers() {}

  /** A cleared little-endian buffer of at least {@code bytes}, its limit at {@code bytes}. */
  static ByteBuffer take(int bytes) {
    ByteBuffer smaller = null;
    for (Iterator<ByteBuffer> it = FREE.iterator(); it.hasNext(); ) {
      ByteBuffer b = it.next();
      if (b.capacity() >= bytes) {
        if (FREE.removeFirstOccurrence(b)) {
          b.clear().limit(bytes);
          return b;
        }
      } else if (smaller == null) {
        smaller = b;
      }
    }
    if (smaller != null) {
      FREE.removeFirstOccurrence(smaller); // too small for this job's shards: let it go rather than keep both
    }
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Returns a buffer taken with {@link #take}. */
  static void give(ByteBuffer b) {
    if (b != null) {
      FREE.push(b);
    }
  }

  /** Allocates {@code count} buffers of {@code bytes} into the pool, unless it already holds them. */
  static void prepare(int count, int bytes) {
    int have = 0;
    for (ByteBuffer b : FREE) {
      have += b.capacity() >= bytes ? 1 : 0;
    }
    for (int i = have; i < count && !Thread.currentThread().isInterrupted(); i++) {
      give(ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN));
    }
  }
}
