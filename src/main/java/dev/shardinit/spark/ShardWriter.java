package dev.shardinit.spark;

import dev.shardinit.format.FileFormat;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.ShardFiles;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import dev.shardinit.plan.Layout;
import dev.shardinit.plan.Plan;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Fills one shard and commits its file: values are generated into a buffer the size of the shard (the only
 * memory that grows with the work), checksummed, written under an attempt-unique hidden temporary name in
 * the tensor's directory, then renamed into place. A retried or speculative attempt therefore never leaves a
 * partial file under a real name, and the second of two attempts finds the (identical) file already there.
 */
public final class ShardWriter {
  /** One shard buffer per task thread, reused from shard to shard (a task's memory is its largest shard). */
  private static final ThreadLocal<ByteBuffer> BUFFER = new ThreadLocal<>();

  private ShardWriter() {}

  private static ByteBuffer buffer(int bytes) {
    ByteBuffer b = BUFFER.get();
    if (b == null || b.capacity() < bytes) {
      BUFFER.remove(); // let the old one go before allocating the larger one
      b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
      BUFFER.set(b);
    }
    b.clear().limit(bytes);
    return b;
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
   * Writes shard {@code s} of {@code init} under {@code out}.
   *
   * @param failBeforeRename test-only fault injection: write the temporary file, then throw
   */
  public static Receipt write(FileSystem fs, Path out, FileFormat format, Initializer init, Plan.Shard s,
      String attempt, boolean failBeforeRename) throws IOException {
    Dtype dt = init.target().dtype();
    long n = s.end() - s.start();
    ByteBuffer values = buffer(Math.toIntExact(n * dt.bytes()));
    init.fill(s.start(), s.end(), values);
    values.flip();
    Stats st = Stats.of(values, dt);
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
