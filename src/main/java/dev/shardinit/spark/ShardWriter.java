package dev.shardinit.spark;

import dev.shardinit.format.FileFormat;
import dev.shardinit.format.ManifestJson;
import dev.shardinit.format.TensorEntry;
import dev.shardinit.format.ShardFiles;
import dev.shardinit.format.io.LocalFs;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import dev.shardinit.plan.Layout;
import dev.shardinit.plan.Plan;
import dev.shardinit.rng.Scratch;
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
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Fills a partition's shards and commits their files, the filling in the calling (task) thread and the writing
 * in a writer thread, which writes each shard's file under an attempt-unique hidden temporary name in the
 * tensor's directory and renames it into place. A retried or speculative attempt therefore never leaves a
 * partial file under a real name, and the second of two attempts finds the (identical) file already there.
 * Each slice of values is checksummed and summarised as it is filled, while it is in the cache.
 *
 * <p>Files are written while their shard is filled: the values go to the writer in chunks of
 * {@link #CHUNK_BYTES} ({@link ChunkStream}), of which a writer has {@link #CHUNKS}; the shard's checksum goes
 * into Parquet's footer at the end, and into the Arrow schema (written first, with a checksum of zeros) by
 * rewriting those bytes in place, which needs a local file. Arrow files elsewhere are filled whole into a
 * buffer first, and the writer writes shard k while the task fills shard k + 1 into a second buffer. Memory per
 * task: 16 MiB of chunks, or (Arrow not on local files) two buffers the size of the largest shard; either is
 * reused from shard to shard and from task to task ({@link ShardBuffers}).
 *
 * <p>Where the executor has a core that none of the job's tasks fills on (the other tasks have ended, or there
 * are fewer tasks than cores), the back half of each chunk is filled on it ({@link FillHelpers}); the values
 * and their statistics do not change.
 *
 * <p>{@link #close} does not return before the writer thread has stopped, so a task never ends (and the
 * driver never cleans up) while one of its files is still being written.
 */
public final class ShardWriter implements Closeable {
  /** Bytes of a chunk of a streamed shard: 4 MiB, a whole number of {@link #SLICE}s of every dtype. */
  static final int CHUNK_BYTES = 4 << 20;
  /** Chunks of one writer: the filler can be up to this many chunks ahead of the file. */
  static final int CHUNKS = 4;

  private final FileSystem fs;
  private final Path out;
  private final FileFormat format;
  private final String attempt;
  private final java.util.function.Consumer<Plan.Shard> onCommitted;
  private final java.util.function.LongConsumer onWritten;
  private final ExecutorService writer;
  private final ChunkStream.Pool chunks;
  private final boolean streams;
  private final FillHelpers helpers; // null: this thread fills alone
  private final ByteBuffer[] buffers = new ByteBuffer[2];
  private final Future<?>[] inFlight = new Future<?>[2];
  private final List<Future<Receipt>> pending = new ArrayList<>();
  private int next;
  /** Submitted shards known to be written: {@code pending[0 .. checked)}. */
  private int checked;

  /**
   * @param onCommitted called on the writer thread after each shard's file is in place
   * @param onWritten   called on the writer thread with the bytes of values it has passed to the file, as it goes
   */
  public ShardWriter(FileSystem fs, Path out, FileFormat format, String attempt,
      java.util.function.Consumer<Plan.Shard> onCommitted, java.util.function.LongConsumer onWritten) {
    this(fs, out, format, attempt, onCommitted, onWritten, CHUNK_BYTES, null);
  }

  /**
   * @param chunkBytes the chunk size of streamed shards (tests: any multiple of 8)
   * @param helpers    idle cores a streamed shard's chunks may be filled on in part, or null
   */
  ShardWriter(FileSystem fs, Path out, FileFormat format, String attempt,
      java.util.function.Consumer<Plan.Shard> onCommitted, java.util.function.LongConsumer onWritten, int chunkBytes,
      FillHelpers helpers) {
    if (chunkBytes < 8 || chunkBytes % 8 != 0) {
      throw new IllegalArgumentException("chunk size must be a positive multiple of 8, got " + chunkBytes);
    }
    this.chunks = new ChunkStream.Pool(CHUNKS, chunkBytes);
    this.streams = streams(format, fs instanceof LocalFs);
    this.helpers = helpers;
    this.onCommitted = onCommitted;
    this.onWritten = onWritten;
    this.fs = fs;
    this.out = out;
    this.format = format;
    this.attempt = attempt;
    this.writer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "shardinit-writer-" + attempt);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Whether shards of {@code format} are written while they are filled: always for Parquet; for Arrow only on
   * local files, whose streams can rewrite the schema's metadata in place.
   */
  public static boolean streams(FileFormat format, boolean localFiles) {
    return format == FileFormat.PARQUET || localFiles;
  }

  /**
   * The message of the deepest cause: the file formats wrap an I/O error in their own ("can not write
   * ColumnIndex(...)"), and the user needs the error itself ("No space left on device").
   */
  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** The temporary name of an attempt's file: hidden, and unique per attempt. */
  static Path tempPath(Path finalPath, String attempt) {
    return new Path(finalPath.getParent(), "." + finalPath.getName() + "." + attempt + ".tmp");
  }

  /** True for names {@link #tempPath} produces. */
  public static boolean isTemp(String fileName) {
    return fileName.startsWith(".") && fileName.endsWith(".tmp");
  }

  /**
   * Fills shard {@code s} of {@code init} in this thread and has the writer write it: while it is filled where
   * {@link #streams}, else once it is (after waiting for the write that last used the buffer, rethrowing its
   * failure).
   *
   * @param failBeforeRename test-only fault injection: write the temporary file, then throw
   */
  public void submit(Initializer init, Plan.Shard s, boolean failBeforeRename) throws IOException {
    long[] pieces = Layout.pieces(Layout.rowLength(init.target().shape(), init.target().numel()), s.start(), s.end());
    if (streams) {
      stream(init, s, pieces, failBeforeRename);
      return;
    }
    int slot = next++ & 1;
    await(inFlight[slot]);
    Dtype dt = init.target().dtype();
    ByteBuffer values = buffer(slot, Math.toIntExact((s.end() - s.start()) * dt.bytes()));
    Stats st = fill(init, s.start(), s.end(), values);
    Future<Receipt> f = writer.submit(() -> {
      long size = place(s, failBeforeRename, tmp -> ShardFiles.write(fs, tmp, format, dt, s.start(), pieces, values,
          fileMetadata(init, s, pieces.length, st.crc32c)));
      onWritten.accept(s.bytes());
      onCommitted.accept(s);
      return receipt(s, pieces.length, size, st);
    });
    inFlight[slot] = f;
    pending.add(f);
  }

  /**
   * The streamed path: the writer writes the file from the chunks this thread fills. A write that already
   * failed is rethrown first, so a task stops at its first failed shard rather than filling the rest.
   */
  private void stream(Initializer init, Plan.Shard s, long[] pieces, boolean failBeforeRename) throws IOException {
    while (checked < pending.size() && pending.get(checked).isDone()) {
      await(pending.get(checked++)); // the writer finishes shards in order
    }
    Dtype dt = init.target().dtype();
    ChunkStream values = new ChunkStream(chunks, crc -> fileMetadata(init, s, pieces.length, crc), onWritten);
    Future<Receipt> f = writer.submit(() -> {
      try {
        long size = place(s, failBeforeRename,
            tmp -> ShardFiles.writeStreamed(fs, tmp, format, dt, s.start(), pieces, values));
        onCommitted.accept(s);
        return receipt(s, pieces.length, size, values.stats());
      } finally {
        values.close();
      }
    });
    pending.add(f);
    long perChunk = chunks.chunkBytes() / dt.bytes();
    Stats.Accumulator acc = new Stats.Accumulator(dt);
    Scratch scratch = new Scratch();
    try {
      for (long i = s.start(); i < s.end(); i += perChunk) {
        long j = Math.min(s.end(), i + perChunk);
        stopIfInterrupted();
        ByteBuffer chunk = values.take();
        chunk.limit(Math.toIntExact((j - i) * dt.bytes()));
        fillChunk(init, i, j, chunk, acc, scratch);
        if (!values.put(chunk.flip())) {
          return; // the writer stopped: finish() reports why
        }
      }
      values.finish(acc.result());
    } catch (IOException | RuntimeException | Error e) {
      values.fail(e);
      throw e;
    }
  }

  /** A cancelled task (Spark interrupts its thread) stops at the next chunk instead of filling on. */
  private static void stopIfInterrupted() throws InterruptedIOException {
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("the task was cancelled");
    }
  }

  private static Map<String, String> fileMetadata(Initializer init, Plan.Shard s, int rows, int crc32c) {
    return ManifestJson.fileMetadata(TensorEntry.of(init, null, 0, java.util.List.of()), init.target().seed(),
        dev.shardinit.rng.Stream.SPEC_VERSION, s.start(), s.end(), rows, crc32c);
  }

  /** Elements filled at a time: a slice's values are summarised while they are still in the cache. */
  static final int SLICE = 1 << 16;

  /** Fills elements [start, end) into {@code values} (flipped for reading) and returns their statistics. */
  static Stats fill(Initializer init, long start, long end, ByteBuffer values) {
    Stats.Accumulator acc = new Stats.Accumulator(init.target().dtype());
    fill(init, start, end, values, acc, new Scratch());
    values.flip();
    return acc.result();
  }

  /** Fills elements [start, end) into {@code values} from its position, adding them to {@code acc} by slices. */
  private static void fill(Initializer init, long start, long end, ByteBuffer values, Stats.Accumulator acc,
      Scratch scratch) {
    for (long i = start; i < end; i += SLICE) {
      if (Thread.currentThread().isInterrupted()) {
        throw new java.util.concurrent.CancellationException("the task was cancelled");
      }
      int from = values.position();
      init.fill(i, Math.min(end, i + SLICE), values, scratch);
      acc.add(values.duplicate().flip().position(from));
    }
  }

  /**
   * Fills elements [start, end) into {@code chunk} from its position (0) and adds them to {@code acc}: the back
   * half (from a slice boundary) on a borrowed core when one is idle, the rest here. The borrowed part is added
   * to the statistics here, after this thread's part, slice by slice as if this thread had filled it.
   */
  private void fillChunk(Initializer init, long start, long end, ByteBuffer chunk, Stats.Accumulator acc,
      Scratch scratch) throws IOException {
    int bytes = init.target().dtype().bytes();
    long mid = start + (end - start) / 2 / SLICE * SLICE;
    Future<?> help = null;
    if (helpers != null && mid > start) {
      ByteBuffer back = chunk.duplicate().position(Math.toIntExact((mid - start) * bytes));
      help = helpers.tryLend(() -> init.fill(mid, end, back, HELPER_SCRATCH.get()));
    }
    if (help == null) {
      fill(init, start, end, chunk, acc, scratch);
      return;
    }
    fill(init, start, mid, chunk, acc, scratch);
    awaitHelp(help);
    for (long k = mid; k < end; k += SLICE) {
      int from = Math.toIntExact((k - start) * bytes);
      acc.add(chunk.duplicate().limit(Math.toIntExact((Math.min(end, k + SLICE) - start) * bytes)).position(from));
    }
    chunk.position(Math.toIntExact((end - start) * bytes));
  }

  private static final ThreadLocal<Scratch> HELPER_SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * Waits for a borrowed core's part of a chunk, through interrupts: it writes into this task's chunk, which must
   * not go back to the pool before it is done. An interrupt is then reported as one.
   */
  private static void awaitHelp(Future<?> help) throws IOException {
    boolean interrupted = false;
    while (true) {
      try {
        help.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException e) {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        throw rethrown(e);
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while filling a shard");
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
    for (int i = 0; i < buffers.length; i++) {
      ShardBuffers.give(buffers[i]); // the writer has stopped: nothing reads them any more
      buffers[i] = null;
    }
    chunks.release();
  }

  private ByteBuffer buffer(int slot, int bytes) {
    ByteBuffer b = buffers[slot];
    if (b == null || b.capacity() < bytes) {
      buffers[slot] = null; // a smaller one goes (not back to the pool) before the larger one is taken
      b = ShardBuffers.take(bytes);
      buffers[slot] = b;
    }
    b.clear().limit(bytes);
    return b;
  }

  private static <T> T await(Future<T> f) throws IOException {
    if (f == null) {
      return null;
    }
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a shard's file");
    } catch (ExecutionException e) {
      throw rethrown(e);
    }
  }

  /** The failure of a task run on another thread, as this thread's (an IOException if it was none of these). */
  private static IOException rethrown(ExecutionException e) {
    Throwable c = e.getCause();
    if (c instanceof IOException) {
      return (IOException) c;
    }
    if (c instanceof RuntimeException) {
      throw (RuntimeException) c;
    }
    if (c instanceof Error) {
      throw (Error) c;
    }
    return new IOException(c);
  }

  /** Writes a file at the path it is given. */
  @FunctionalInterface
  private interface FileWrite {
    void to(Path path) throws IOException;
  }

  /**
   * Writes shard {@code s}'s file under its temporary name ({@code file}) and renames it into place; returns
   * the file's size.
   */
  private long place(Plan.Shard s, boolean failBeforeRename, FileWrite file) throws IOException {
    Path finalPath = new Path(out, s.path());
    Path tmp = tempPath(finalPath, attempt);
    try {
      fs.mkdirs(finalPath.getParent());
      fs.delete(tmp, false);
      file.to(tmp);
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      throw new IOException("cannot write " + finalPath + ": " + rootMessage(e), e);
    }
    if (failBeforeRename) {
      throw new IOException("injected failure after writing " + tmp.getName() + " (test fault hook)");
    }
    if (!fs.rename(tmp, finalPath)) {
      if (fs.exists(finalPath)) {
        fs.delete(tmp, false); // another attempt of this task committed the same bytes first
      } else {
        throw new IOException("cannot rename " + tmp + " to " + finalPath);
      }
    }
    return fs.getFileStatus(finalPath).getLen();
  }

  private static Receipt receipt(Plan.Shard s, int rows, long size, Stats st) {
    return new Receipt(s.tensor(), s.path(), s.start(), s.end(), rows, size, st.crc32c, st.min, st.max, st.mean,
        st.std);
  }
}
