package dev.shardinit.spark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The buffers of this JVM's task threads (a {@link ShardWriter}'s chunks, or its two whole-shard buffers where
 * it does not stream): taken when first needed and given back when the writer closes, so buffers are reused
 * from task to task, and the warm-up can allocate (and so touch) them while Spark starts. The pool holds at
 * most the buffers of the writers that ran at once.
 */
final class ShardBuffers {
  /**
   * The free buffers. Removal is by identity: {@code ByteBuffer.equals} compares remaining contents, so two
   * buffers read to their end are "equal", and a remove by equality could take out another buffer than the one
   * handed out (which then stayed free, and went to two users).
   */
  private static final ArrayDeque<ByteBuffer> FREE = new ArrayDeque<>();

  private ShardBuffers() {}

  /** A cleared little-endian buffer of at least {@code bytes}, its limit at {@code bytes}. */
  static ByteBuffer take(int bytes) {
    synchronized (FREE) {
      ByteBuffer smaller = null;
      for (Iterator<ByteBuffer> it = FREE.iterator(); it.hasNext(); ) {
        ByteBuffer b = it.next();
        if (b.capacity() >= bytes) {
          it.remove();
          b.clear().limit(bytes);
          return b;
        } else if (smaller == null) {
          smaller = b;
        }
      }
      if (smaller != null) {
        // too small for this job's shards: let it go rather than keep both
        for (Iterator<ByteBuffer> it = FREE.iterator(); it.hasNext(); ) {
          if (it.next() == smaller) {
            it.remove();
            break;
          }
        }
      }
    }
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Returns a buffer taken with {@link #take}. */
  static void give(ByteBuffer b) {
    if (b != null) {
      synchronized (FREE) {
        FREE.push(b);
      }
    }
  }

  /** Allocates {@code count} buffers of {@code bytes} into the pool, unless it already holds them. */
  static void prepare(int count, int bytes) {
    int have = 0;
    synchronized (FREE) {
      for (ByteBuffer b : FREE) {
        have += b.capacity() >= bytes ? 1 : 0;
      }
    }
    for (int i = have; i < count && !Thread.currentThread().isInterrupted(); i++) {
      give(ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN));
    }
  }
}
