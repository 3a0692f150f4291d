package dev.shardinit.task;

import dev.shardinit.format.ShardSource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.IntFunction;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * One shard's values on their way from the task thread that fills them to the writer thread that writes its
 * file: the filler takes a chunk from the writer's {@link ChunkPool}, fills it and {@link #put}s it; the writer
 * {@link #read}s the chunks in order and gives each back once it is through it. A shard therefore needs a few
 * chunks of memory, not a buffer of its size.
 *
 * <p>Either side can stop the other: a failed fill ({@link #fail}) makes the writer's next read throw, so it
 * discards its file; a writer that stops ({@link #close}, whatever the reason) gives back every chunk it holds
 * and makes {@link #put} answer false, so the filler neither blocks nor fills on for nothing.
 */
final class ChunkStream implements ShardSource {
  /** Put after the last chunk, by {@link #finish} or {@link #fail}. */
  private static final ByteBuffer END = ByteBuffer.allocate(0);

  private final ChunkPool pool;
  private final Supplier<Map<String, String>> head;
  private final IntFunction<Map<String, String>> metadata;
  private final LongConsumer onRead;
  private final BlockingQueue<ByteBuffer> filled = new LinkedBlockingQueue<>();
  private volatile Stats stats;
  private volatile Throwable failure;
  private volatile boolean closed;
  private ByteBuffer current; // the writer's chunk, read up to its position

  /**
   * @param head     the file's metadata before the values
   * @param metadata the file's metadata for a given CRC-32C of the shard's values
   * @param onRead   told (on the writer thread) the bytes of each chunk once the writer is through it
   */
  ChunkStream(ChunkPool pool, Supplier<Map<String, String>> head, IntFunction<Map<String, String>> metadata,
      LongConsumer onRead) {
    this.pool = pool;
    this.head = head;
    this.metadata = metadata;
    this.onRead = onRead;
  }

  // ---- the filling (task) thread

  /** An empty chunk for about {@code wanted} bytes; waits while every chunk of the pool is in use. */
  ByteBuffer take(long wanted) throws InterruptedIOException {
    return pool.take(wanted);
  }

  /**
   * Hands over a filled chunk (position 0, limit at its end); false if the writer has stopped, in which case
   * the chunk went back to the pool and filling can stop.
   */
  boolean put(ByteBuffer chunk) {
    if (closed) {
      pool.give(chunk);
      return false;
    }
    filled.add(chunk);
    if (closed) { // the writer stopped meanwhile: whatever it did not take back, this thread does
      drain();
      return false;
    }
    return true;
  }

  /** Marks the end of the values, with their statistics. */
  void finish(Stats s) {
    stats = s;
    filled.add(END);
  }

  /** The fill failed: the writer's next read throws. */
  void fail(Throwable t) {
    failure = t;
    filled.add(END);
  }

  // ---- the writer thread

  @Override
  public void read(ByteBuffer dst) throws IOException {
    while (dst.hasRemaining()) {
      if (current == null || !current.hasRemaining()) {
        ByteBuffer next = next();
        if (next == END) {
          filled.add(END);
          throw failure != null ? new IOException("the shard's values could not be produced", failure)
              : new IOException("the shard's values ended before its pieces did");
        }
        release(); // the chunk read last goes back only now: its bytes are copied out
        current = next;
      }
      int n = Math.min(dst.remaining(), current.remaining());
      int limit = current.limit();
      dst.put(current.limit(current.position() + n));
      current.limit(limit);
    }
  }

  private ByteBuffer next() throws InterruptedIOException {
    try {
      return filled.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the shard's values");
    }
  }

  private void release() {
    if (current != null) {
      onRead.accept(current.limit());
      pool.give(current);
      current = null;
    }
  }

  /** The shard's statistics, once the last chunk is put. */
  Stats stats() throws IOException {
    if (current != null && current.hasRemaining()) {
      throw new IOException("the shard has more values than its pieces hold");
    }
    ByteBuffer last = next();
    filled.add(END);
    if (last != END) {
      pool.give(last);
      throw new IOException("the shard has more values than its pieces hold");
    }
    if (failure != null) {
      throw new IOException("the shard's values could not be produced", failure);
    }
    release();
    return stats;
  }

  @Override
  public Map<String, String> headMetadata() {
    return head.get();
  }

  @Override
  public Map<String, String> metadata() throws IOException {
    return metadata.apply(stats().crc32c);
  }

  /** The writer is done (or gave up): every chunk it holds or would get goes back to the pool. */
  void close() {
    closed = true;
    if (current != null) {
      pool.give(current);
      current = null;
    }
    drain();
  }

  private void drain() {
    ByteBuffer b;
    while ((b = filled.poll()) != null) {
      if (b != END) {
        pool.give(b);
      }
    }
  }
}
