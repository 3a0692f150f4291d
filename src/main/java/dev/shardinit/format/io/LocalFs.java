package dev.shardinit.format.io;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system, creating files and directories without setting their permissions. Without Hadoop's
 * native library (which Spark does not ship), {@link RawLocalFileSystem} sets the permission of every file and
 * directory it creates by running {@code chmod}: a process start for every shard file, which costs as much as
 * writing a few megabytes. Files and directories here get the permissions any local program's
 * get (the process umask applied to 0666 and 0777), which with the usual umask of 022 are the 0644 and 0755
 * Hadoop would have set. Its streams also take ByteBuffers ({@link ChannelOutput}), so Arrow's buffers are
 * written without a copy into a Java array.
 */
public final class LocalFs extends RawLocalFileSystem {
  @Override
  public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
      short replication, long blockSize, Progressable progress) throws IOException {
    return create(f, overwrite, bufferSize, replication, blockSize, progress);
  }

  @Override
  public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize,
      Progressable progress) throws IOException {
    File file = pathToFile(f);
    if (file.getParentFile() != null) {
      mkdirs(new Path(file.getParentFile().toURI()));
    }
    FileChannel ch;
    try {
      ch = overwrite
          ? FileChannel.open(file.toPath(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)
          : FileChannel.open(file.toPath(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (FileAlreadyExistsException e) {
      throw new org.apache.hadoop.fs.FileAlreadyExistsException("File already exists: " + f);
    }
    return new FSDataOutputStream(new ChannelOutput(ch, bufferSize), statistics);
  }

  /**
   * A buffered output stream over a file channel that also takes ByteBuffers: a direct buffer (Arrow's
   * memory) goes to the kernel without being copied into a Java array first.
   */
  static final class ChannelOutput extends OutputStream implements WritableByteChannel {
    private final FileChannel ch;
    private final ByteBuffer buf;

    ChannelOutput(FileChannel ch, int bufferSize) {
      this.ch = ch;
      this.buf = ByteBuffer.allocate(Math.max(1, Math.min(bufferSize, 1 << 16)));
    }

    @Override
    public void write(int b) throws IOException {
      if (!buf.hasRemaining()) {
        drain();
      }
      buf.put((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (len > buf.remaining()) {
        drain();
      }
      if (len >= buf.capacity()) {
        writeFully(ByteBuffer.wrap(b, off, len));
      } else {
        buf.put(b, off, len);
      }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      drain();
      int n = src.remaining();
      writeFully(src);
      return n;
    }

    @Override
    public void flush() throws IOException {
      drain();
    }

    @Override
    public boolean isOpen() {
      return ch.isOpen();
    }

    @Override
    public void close() throws IOException {
      if (ch.isOpen()) {
        try {
          drain();
        } finally {
          ch.close();
        }
      }
    }

    private void drain() throws IOException {
      buf.flip();
      writeFully(buf);
      buf.clear();
    }

    private void writeFully(ByteBuffer src) throws IOException {
      int limit = src.limit();
      while (src.hasRemaining()) {
        src.limit(Math.min(limit, src.position() + (1 << 20)));
        while (src.hasRemaining()) {
          ch.write(src);
        }
        src.limit(limit);
      }
    }
  }

  @Override
  public boolean mkdirs(Path f, FsPermission permission) throws IOException {
    return mkdirs(f);
  }

  @Override
  public boolean mkdirs(Path f) throws IOException {
    File dir = pathToFile(f);
    if (dir.isDirectory()) {
      return true;
    }
    try {
      Files.createDirectories(dir.toPath());
    } catch (FileAlreadyExistsException e) {
      throw new org.apache.hadoop.fs.ParentNotDirectoryException("not a directory: " + e.getFile());
    } catch (IOException e) {
      if (!dir.isDirectory()) {
        String why = e instanceof java.nio.file.FileSystemException
            && ((java.nio.file.FileSystemException) e).getReason() != null
            ? ((java.nio.file.FileSystemException) e).getReason() : e.getClass().getSimpleName();
        throw new FileNotFoundException("cannot create directory " + f + ": " + why);
      }
    }
    return true;
  }
}
