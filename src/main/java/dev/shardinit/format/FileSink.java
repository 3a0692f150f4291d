package dev.shardinit.format;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
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

  /**
   * The bytes from {@code position} on of an existing local file (a region of a packed file, written by
   * positional writes, so tasks fill their regions of one file at once). A failed write leaves the region to
   * the next attempt, which writes the same bytes.
   */
  static FileSink region(java.io.File file, long position) {
    return new FileSink() {
      @Override
      public FSDataOutputStream create() throws IOException {
        FileChannel ch = FileChannel.open(file.toPath(), StandardOpenOption.WRITE);
        return new FSDataOutputStream(new OutputStream() {
          private long at = position;

          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
              at += ch.write(buf, at);
            }
          }

          @Override
          public void close() throws IOException {
            ch.close();
          }
        }, null);
      }

      @Override
      public void discard() {}

      @Override
      public String describe() {
        return file + " from byte " + position;
      }
    };
  }
}
