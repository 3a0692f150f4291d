package dev.shardinit.spark;

import java.io.BufferedOutputStream;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
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
 * directory it creates by running {@code chmod}, and a process start costs about 7 ms: as much as writing a
 * few megabytes, for every shard file. Files and directories here get the permissions any local program's
 * get (the process umask applied to 0666 and 0777), which with the usual umask of 022 are the 0644 and 0755
 * Hadoop would have set.
 */
final class LocalFs extends RawLocalFileSystem {
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
    OutputStream out;
    try {
      out = overwrite
          ? Files.newOutputStream(file.toPath())
          : Files.newOutputStream(file.toPath(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (FileAlreadyExistsException e) {
      throw new org.apache.hadoop.fs.FileAlreadyExistsException("File already exists: " + f);
    }
    return new FSDataOutputStream(new BufferedOutputStream(out, bufferSize), statistics);
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
        throw new FileNotFoundException("cannot create directory " + f + ": " + e.getMessage());
      }
    }
    return true;
  }
}
