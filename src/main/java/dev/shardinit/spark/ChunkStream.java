package dev.shardinit.spark;

import dev.shardinit.format.ShardSource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * One shard's values on their way from the task thread that fills them to the writer thread that writes its
 * file: the filler takes an empty chunk from its writer's {@link Pool}, fills it and {@link #put}s it; the
 * writer {@link #read}s the chunks in order and gives each back to the pool once it is through it. A shard
 * therefore needs a few chunks of memory, not a buffer of its size, and its file is written while it is filled.
 *
 * <p>Either side can stop the other: a failed fill ({@link #fail}) makes the writer's next wait throw, so it
 * deletes its partial file; a writer that stops ({@link #close}, whatever the reason) gives back every chunk it
 * holds and makes {@link #put} answer false, so the filler neither blocks nor fills on for nothing.
 */
final class ChunkStream implements ShardSource {
  /** The free chunks of one {@link ShardWriter}: a fixed number, taken from {@link ShardBuffers} when first needed. */
  static final class Pool {
    private final int bytes;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private int unmade;

    Pool(int chunks, int bytes) {
      this.unmade = chunks;
      this.bytes = bytes;
    }

    int chunkBytes() {
      return bytes;
    }

    /** A cleared chunk, its limit at the chunk size; waits while every chunk is in use. */
    synchronized ByteBuffer take() throws InterruptedIOException {
      while (free.isEmpty()) {
        if (unmade > 0) {
          unmade--;
          return ShardBuffers.take(bytes); // cleared, its limit at bytes
        }
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for a free chunk");
        }
      }
      return free.pop().clear().limit(bytes);
    }

    synchronized void give(ByteBuffer b) {
      free.push(b);
      notifyAll();
    }

    /** Returns the free chunks to {@link ShardBuffers}; call once nothing uses the pool any more. */
    synchronized void release() {
      while (!free.isEmpty()) {
        ShardBuffers.give(free.pop());
      }
    }
  }

  private final Pool pool;
  private final IntFunction<Map<String, String>> metadata;
  private final java.util.function.LongConsumer onRead;
  private final ArrayDeque<ByteBuffer> filled = new ArrayDeque<>();
  private ByteBuffer current; // the writer's chunk, read up to its position
  private Stats stats; // set once the last chunk is put
  private Throwable failure; // the fill's failure
  private boolean closed; // the writer is done with this stream

  /**
   * @param metadata the file's metadata for a given CRC-32C of the shard's values
   * @param onRead   told (on the writer thread) the bytes of each chunk once the writer is through it
   */
  ChunkStream(Pool pool, IntFunction<Map<String, String>> metadata, java.util.function.LongConsumer onRead) {
    this.pool = pool;
    this.metadata = metadata;
    this.onRead = onRead;
  }

  // ---- the filling (task) thread

  /** An empty chunk to fill (its limit at the chunk size); waits while every chunk of the pool is in use. */
  ByteBuffer take() throws InterruptedIOException {
    return pool.take();
  }

  /**
   * Hands over a filled chunk (flipped: position 0, limit at its end); false if the writer has stopped, in which
   * case the chunk went back to the pool and filling can stop.
   */
  synchronized boolean put(ByteBuffer chunk) {
    if (closed) {
      pool.give(chunk);
      return false;
    }
    filled.add(chunk);
    notifyAll();
    return true;
  }

  /** Marks the end of the values, with their statistics. */
  synchronized void finish(Stats s) {
    stats = s;
    notifyAll();
  }

  /** The fill failed: the writer's next wait throws. */
  synchronized void fail(Throwable t) {
    failure = t;
    notifyAll();
  }

  // ---- the writer thread

  @Override
  public void read(ByteBuffer dst) throws IOException {
    while (dst.hasRemaining()) {
      if (current == null || !current.hasRemaining()) {
        ByteBuffer next = next(); // the chunk read last goes back only now: its bytes are copied out
        if (current != null) {
          onRead.accept(current.limit());
          pool.give(current);
        }
        current = next;
      }
      int n = Math.min(dst.remaining(), current.remaining());
      int limit = current.limit();
      dst.put(current.limit(current.position() + n));
      current.limit(limit);
    }
  }

  private synchronized ByteBuffer next() throws IOException {
    while (filled.isEmpty()) {
      if (failure != null) {
        throw new IOException("the shard's values could not be produced", failure);
      }
      if (stats != null) {
        throw new IOException("the shard's values ended before its pieces did");
      }
      waitHere();
    }
    return filled.poll();
  }

  /** The shard's statistics, once the last chunk is put. */
  synchronized Stats stats() throws IOException {
    while (stats == null) {
      if (failure != null) {
        throw new IOException("the shard's values could not be produced", failure);
      }
      waitHere();
    }
    return stats;
  }

  /** The metadata with a CRC-32C of zeros: of the final one's length (8 hex digits). */
  @Override
  public Map<String, String> provisionalMetadata() {
    return metadata.apply(0);
  }

  @Override
  public Map<String, String> metadata() throws IOException {
    Stats s = stats();
    synchronized (this) {
      if (!filled.isEmpty() || (current != null && current.hasRemaining())) {
        throw new IOException("the shard has more values than its pieces hold");
      }
      if (current != null) {
        onRead.accept(current.limit());
        pool.give(current);
        current = null;
      }
    }
    return metadata.apply(s.crc32c);
  }

  /** The writer is done (or gave up): every chunk it holds or would get goes back to the pool. */
  synchronized void close() {
    closed = true;
    if (current != null) {
      pool.give(current);
      current = null;
    }
    while (!filled.isEmpty()) {
      pool.give(filled.poll());
    }
  }

  private void waitHere() throws InterruptedIOException {
    try {
      wait();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the shard's values");
    }
  }
}
