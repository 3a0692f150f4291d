package dev.shardinit.spark;

import dev.shardinit.format.FileFormat;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.ShardFiles;
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
 * Fills a partition's shards and commits their files, two shards in flight: while the calling (task) thread
 * fills shard k + 1 (and checksums and summarises it slice by slice, while the values are in the cache), a
 * writer thread writes shard k under an attempt-unique hidden temporary name in the tensor's directory and
 * renames it into place. A retried or speculative attempt therefore never leaves a partial file under a real
 * name, and the second of two attempts finds the (identical) file already there. Memory: two buffers the size
 * of the largest shard, reused from shard to shard and from task to task ({@link ShardBuffers}).
 *
 * <p>{@link #close} does not return before the writer thread has stopped, so a task never ends (and the
 * driver never cleans up) while one of its files is still being written.
 */
public final class ShardWriter implements Closeable {
  private final FileSystem fs;
  private final Path out;
  private final FileFormat format;
  private final String attempt;
  private final java.util.function.Consumer<Plan.Shard> onCommitted;
  private final ExecutorService writer;
  private final ByteBuffer[] buffers = new ByteBuffer[2];
  private final Future<?>[] inFlight = new Future<?>[2];
  private final List<Future<Receipt>> pending = new ArrayList<>();
  private int next;

  /** @param onCommitted called on the writer thread after each shard's file is in place */
  public ShardWriter(FileSystem fs, Path out, FileFormat format, String attempt,
      java.util.function.Consumer<Plan.Shard> onCommitted) {
    this.onCommitted = onCommitted;
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

  /** The temporary name of an attempt's file: hidden, and unique per attempt. */
  static Path tempPath(Path finalPath, String attempt) {
    return new Path(finalPath.getParent(), "." + finalPath.getName() + "." + attempt + ".tmp");
  }

  /** True for names {@link #tempPath} produces. */
  public static boolean isTemp(String fileName) {
    return fileName.startsWith(".") && fileName.endsWith(".tmp");
  }

  /**
   * Fills shard {@code s} of {@code init} in this thread and hands it to the writer; waits first for the
   * write that last used the buffer, rethrowing its failure.
   *
   * @param failBeforeRename test-only fault injection: write the temporary file, then throw
   */
  public void submit(Initializer init, Plan.Shard s, boolean failBeforeRename) throws IOException {
    int slot = next++ & 1;
    await(inFlight[slot]);
    Dtype dt = init.target().dtype();
    ByteBuffer values = buffer(slot, Math.toIntExact((s.end() - s.start()) * dt.bytes()));
    Stats st = fill(init, s.start(), s.end(), values);
    Future<Receipt> f = writer.submit(() -> {
      Receipt r = commit(fs, out, format, init, s, values, st, attempt, failBeforeRename);
      onCommitted.accept(s);
      return r;
    });
    inFlight[slot] = f;
    pending.add(f);
  }

  /** Elements filled at a time: a slice's values are summarised while they are still in the cache. */
  static final int SLICE = 1 << 16;

  /** Fills elements [start, end) into {@code values} (flipped for reading) and returns their statistics. */
  static Stats fill(Initializer init, long start, long end, ByteBuffer values) {
    Stats.Accumulator acc = new Stats.Accumulator(init.target().dtype());
    Scratch scratch = new Scratch();
    for (long i = start; i < end; i += SLICE) {
      int from = values.position();
      init.fill(i, Math.min(end, i + SLICE), values, scratch);
      acc.add(values.duplicate().flip().position(from));
    }
    values.flip();
    return acc.result();
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

  /** Writes the file of shard {@code s} ({@code values}, summarised by {@code st}) and renames it into place. */
  static Receipt commit(FileSystem fs, Path out, FileFormat format, Initializer init, Plan.Shard s,
      ByteBuffer values, Stats st, String attempt, boolean failBeforeRename) throws IOException {
    Dtype dt = init.target().dtype();
    long[] pieces = Layout.pieces(Layout.rowLength(init.target().shape(), init.target().numel()), s.start(), s.end());
    Map<String, String> meta = Manifest.fileMetadata(Manifest.tensorEntry(init),
        Manifest.fileEntry(s.start(), s.end(), pieces.length, st.crc32c));
    Path finalPath = new Path(out, s.path());
    Path tmp = tempPath(finalPath, attempt);
    fs.mkdirs(finalPath.getParent());
    fs.delete(tmp, false);
    ShardFiles.write(fs, tmp, format, dt, s.start(), pieces, values, meta);
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
    long size = fs.getFileStatus(finalPath).getLen();
    return new Receipt(s.tensor(), s.path(), s.start(), s.end(), pieces.length, size, st.crc32c, st.min, st.max,
        st.mean, st.std);
  }
}
