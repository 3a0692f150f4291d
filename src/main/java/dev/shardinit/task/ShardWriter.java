package dev.shardinit.task;

import dev.shardinit.format.FileFormat;
import dev.shardinit.format.ManifestJson;
import dev.shardinit.format.ShardFiles;
import dev.shardinit.format.TensorEntry;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import dev.shardinit.plan.Layout;
import dev.shardinit.plan.Plan;
import dev.shardinit.rng.Scratch;
import dev.shardinit.rng.Stream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Fills a task's shards and writes their files: the filling in the calling (task) thread, the writing in a
 * writer thread, which encodes each file while its shard is filled, from chunks of {@link #CHUNK_BYTES}
 * ({@link ChunkStream}), of which it has {@link #CHUNKS}; each file goes to its {@link Destination} (a file of
 * its own through a temporary name, or a region of a packed file). Each slice of values is checksummed and summarised as it is filled, while it is in the
 * cache. A task's memory is its chunks, whatever the shard size and the file system.
 *
 * <p>A failed write stops the task: the filler stops at its next chunk, no later shard is written, and the
 * failure comes out of the next {@link #submit} or of {@link #finish}. {@link #close} does not return before the
 * writer thread has stopped, so a task never ends (and the driver never cleans up) while one of its files is
 * still being written.
 */
public final class ShardWriter implements Closeable {
  /** Bytes of a chunk: 4 MiB, a whole number of {@link #SLICE}s of every dtype. */
  static final int CHUNK_BYTES = 4 << 20;
  /** Chunks of one writer: the filler can be up to this many chunks ahead of the file. */
  static final int CHUNKS = 4;
  /** Elements filled at a time: a slice's values are summarised while they are still in the cache. */
  static final int SLICE = 1 << 16;

  private final Destination destination;
  private final FileFormat format;
  private final Consumer<Plan.Shard> onCommitted;
  private final LongConsumer onWritten;
  private final ChunkPool chunks;
  private final ExecutorService writer;
  private final List<Future<Receipt>> pending = new ArrayList<>();
  /** The first failed write: the shards after it are not written. */
  private volatile Throwable failed;
  /** Submitted shards known to be written: {@code pending[0 .. checked)}. */
  private int checked;

  /**
   * @param attempt     unique to the run and the task attempt: marks the temporary files
   * @param onCommitted called on the writer thread after each shard's file is in place
   * @param onWritten   called on the writer thread with the bytes of values it has passed to the file
   */
  public ShardWriter(FileSystem fs, Path out, FileFormat format, String attempt, Consumer<Plan.Shard> onCommitted,
      LongConsumer onWritten) {
    this(Destination.files(fs, out, attempt), format, attempt, onCommitted, onWritten, CHUNK_BYTES);
  }

  /**
   * A writer of shards to {@code destination} (files of their own, or regions of packed files).
   *
   * @param attempt unique to the run and the task attempt: names the writer thread
   */
  public ShardWriter(Destination destination, FileFormat format, String attempt, Consumer<Plan.Shard> onCommitted,
      LongConsumer onWritten) {
    this(destination, format, attempt, onCommitted, onWritten, CHUNK_BYTES);
  }

  /** @param chunkBytes the largest chunk (tests: any positive multiple of 8) */
  ShardWriter(FileSystem fs, Path out, FileFormat format, String attempt, Consumer<Plan.Shard> onCommitted,
      LongConsumer onWritten, int chunkBytes) {
    this(Destination.files(fs, out, attempt), format, attempt, onCommitted, onWritten, chunkBytes);
  }

  private ShardWriter(Destination destination, FileFormat format, String attempt, Consumer<Plan.Shard> onCommitted,
      LongConsumer onWritten, int chunkBytes) {
    this.chunks = new ChunkPool(CHUNKS, chunkBytes);
    this.destination = destination;
    this.format = format;
    this.onCommitted = onCommitted;
    this.onWritten = onWritten;
    this.writer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "shardinit-writer-" + attempt);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Fills shard {@code s} of {@code init} in this thread while the writer writes its file. A write that already
   * failed is rethrown first, so a task stops at its first failed shard rather than filling the rest.
   */
  public void submit(Initializer init, Plan.Shard s) throws IOException {
    while (checked < pending.size() && pending.get(checked).isDone()) {
      await(pending.get(checked++)); // the writer finishes shards in order
    }
    long[] pieces = Layout.pieces(Layout.rowLength(init.target().shape(), init.target().numel()), s.start(), s.end());
    Dtype dt = init.target().dtype();
    TensorEntry tensor = TensorEntry.of(init, null, 0, List.of());
    ChunkStream values = new ChunkStream(chunks, () -> metadata(tensor, init, s, pieces.length, null),
        crc -> metadata(tensor, init, s, pieces.length, crc), onWritten);
    Future<Receipt> f = writer.submit(() -> {
      try {
        if (failed != null) {
          throw new IOException("not written: the write of an earlier shard failed", failed);
        }
        long size = destination.write(s, sink -> ShardFiles.encode(sink, format, dt, s.start(), pieces, values));
        onCommitted.accept(s);
        return receipt(s, format.packed() ? 0 : pieces.length, size, values.stats());
      } catch (IOException | RuntimeException | Error e) {
        if (failed == null) {
          failed = e;
        }
        throw e;
      } finally {
        values.close(); // the filler stops at its next chunk if it is still filling
      }
    });
    pending.add(f);
    Stats.Accumulator acc = new Stats.Accumulator(dt);
    Scratch scratch = new Scratch();
    try {
      for (long i = s.start(); i < s.end(); ) {
        if (Thread.currentThread().isInterrupted()) { // a cancelled task (Spark interrupts it) stops here
          throw new InterruptedIOException("the task was cancelled");
        }
        ByteBuffer chunk = values.take((s.end() - i) * dt.bytes());
        long j = Math.min(s.end(), i + chunk.capacity() / dt.bytes());
        chunk.limit(Math.toIntExact((j - i) * dt.bytes()));
        fill(init, i, j, chunk, acc, scratch);
        if (!values.put(chunk.flip())) {
          return; // the writer stopped: finish() reports why
        }
        i = j;
      }
      values.finish(acc.result());
    } catch (IOException | RuntimeException | Error e) {
      values.fail(e);
      throw e;
    }
  }

  /** A file's metadata: the tensor's entry and the file's, with the values' CRC-32C when it is known. */
  private static Map<String, String> metadata(TensorEntry tensor, Initializer init, Plan.Shard s, int rows,
      Integer crc32c) {
    return ManifestJson.fileMetadata(tensor, init.target().seed(), Stream.SPEC_VERSION, s.start(), s.end(), rows,
        crc32c);
  }

  /** Fills elements [start, end) into {@code values} from its position, adding them to {@code acc} by slices. */
  static void fill(Initializer init, long start, long end, ByteBuffer values, Stats.Accumulator acc,
      Scratch scratch) {
    for (long i = start; i < end; i += SLICE) {
      int from = values.position();
      init.fill(i, Math.min(end, i + SLICE), values, scratch);
      acc.add(values.duplicate().flip().position(from));
    }
  }

  /** Waits for every submitted shard; their receipts, in submission order. */
  public List<Receipt> finish() throws IOException {
    List<Receipt> receipts = new ArrayList<>(pending.size());
    for (Future<Receipt> f : pending) {
      receipts.add(await(f));
    }
    return receipts;
  }

  /** Stops the writer, waiting (through interrupts) until its thread has finished whatever it was doing. */
  @Override
  public void close() {
    writer.shutdownNow();
    boolean interrupted = false;
    while (true) {
      try {
        if (writer.awaitTermination(1, TimeUnit.SECONDS)) {
          break;
        }
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static <T> T await(Future<T> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a shard's file");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException) {
        throw (IOException) c;
      }
      if (c instanceof RuntimeException) {
        throw (RuntimeException) c;
      }
      if (c instanceof Error) {
        throw (Error) c;
      }
      throw new IOException(c);
    }
  }

  private static Receipt receipt(Plan.Shard s, int rows, long size, Stats st) {
    return new Receipt(s.tensor(), s.path(), s.start(), s.end(), rows, size, st.crc32c, st.min, st.max, st.mean,
        st.std);
  }
}
