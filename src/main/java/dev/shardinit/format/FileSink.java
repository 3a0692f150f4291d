package dev.shardinit.format;

import java.io.IOException;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where the bytes of one encoded shard file go: a new file, or anything else that takes a stream of bytes (a
 * comparison with a file already written, when a checkpoint is verified).
 */
public interface FileSink {
  /** Opens the destination (once) and returns its stream, at position 0. */
  FSDataOutputStream create() throws IOException;

  /** After a failed write: removes whatever {@link #create} made. Never throws. */
  void discard();

  /** What the sink writes to, for messages. */
  String describe();

  /**
   * A new file at exactly {@code path}, never overwriting, created with a large buffer (Hadoop's default of 4
   * KiB makes the local file system's checksummed stream write a few KiB at a time).
   */
  static FileSink file(FileSystem fs, Path path) {
    return new FileSink() {
      private boolean created;

      @Override
      public FSDataOutputStream create() throws IOException {
        FSDataOutputStream out = fs.create(path, false, 1 << 20);
        created = true;
        return out;
      }

      @Override
      public void discard() {
        if (created) {
          try {
            fs.delete(path, false);
          } catch (IOException | RuntimeException e) {
            // the original failure is what matters
          }
        }
      }

      @Override
      public String describe() {
        return path.toString();
      }
    };
  }
}
