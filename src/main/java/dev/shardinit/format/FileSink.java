package dev.shardinit.format;

import dev.shardinit.format.io.Fs;
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

  /**
   * After a successful write, whose stream is closed: makes the file visible, where the sink defers that
   * ({@link #object}); nothing for the others.
   */
  default void publish() throws IOException {}

  /** Writes a whole file, through a stream it is given. */
  @FunctionalInterface
  interface Body {
    void write(OutputStream out) throws IOException;
  }

  /**
   * Writes a small file whole so that no reader sees part of it at {@code dst}: on a store that publishes on
   * close ({@link Fs#publishesOnClose}), straight to {@code dst}, aborted if the body fails; elsewhere under
   * {@code tmp} and renamed to {@code dst}.
   */
  static void writeWhole(FileSystem fs, Path dst, Path tmp, Body body) throws IOException {
    if (Fs.publishesOnClose(fs, dst)) {
      FileSink s = object(fs, dst);
      try {
        try (OutputStream o = s.create()) {
          body.write(o);
        }
        s.publish();
      } catch (IOException | RuntimeException | Error e) {
        s.discard();
        throw e;
      }
      return;
    }
    try (OutputStream o = fs.create(tmp, true)) {
      body.write(o);
    }
    if (!fs.rename(tmp, dst)) {
      throw new IOException("cannot rename " + tmp + " to " + dst);
    }
  }

  /**
   * A new object at {@code path} on a store that publishes a file when its stream closes (S3A): the stream
   * handed out does not close the store's, so a writer that fails, whatever it closes on its way out, publishes
   * nothing; {@link #publish} closes it, which makes the object visible whole, and {@link #discard} aborts it,
   * which leaves no object. An earlier object at {@code path} (another attempt's: the same bytes) is replaced.
   */
  static FileSink object(FileSystem fs, Path path) {
    return new FileSink() {
      private FSDataOutputStream real;

      @Override
      public FSDataOutputStream create() throws IOException {
        real = fs.create(path, true, 1 << 20);
        FSDataOutputStream store = real;
        return new FSDataOutputStream(new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            store.write(b);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            store.write(b, off, len);
          }

          @Override
          public void flush() throws IOException {
            store.flush();
          }

          @Override
          public void close() {
            // deferred: publish() or discard() decides
          }
        }, null);
      }

      @Override
      public void publish() throws IOException {
        if (real != null) {
          real.close();
        }
      }

      @Override
      public void discard() {
        if (real != null) {
          try {
            real.abort();
          } catch (RuntimeException e) {
            // not abortable after all: closing would publish what was written, so leave it to the clean-up
          }
        }
      }

      @Override
      public String describe() {
        return path.toString();
      }
    };
  }

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
