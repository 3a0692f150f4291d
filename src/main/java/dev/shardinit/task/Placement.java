package dev.shardinit.task;

import dev.shardinit.format.FileSink;
import dev.shardinit.format.io.Fs;
import dev.shardinit.plan.Plan;
import java.io.IOException;
import java.io.InterruptedIOException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * How a file gets its final name: it is written under a hidden name unique to the run and the task attempt, in
 * its tensor's directory, and renamed into place; a reader never sees part of it under its final name. Two
 * attempts of one task (a retry, a speculative copy) write the same bytes: the second finds the file in place
 * and deletes its own copy. On a store that publishes a file when its stream closes (S3A: {@link
 * Fs#publishesOnClose}), where a rename is a copy, the file is written straight to its name instead and its
 * stream aborted if the write fails, so there too no reader sees part of it; a second attempt replaces it with
 * the same bytes.
 */
public final class Placement {
  private Placement() {}

  /** Writes a file into the sink it is given. */
  @FunctionalInterface
  public interface FileWrite {
    void to(FileSink sink) throws IOException;
  }

  /** The temporary name of an attempt's file (or of a run's packed file): hidden, unique to the attempt (run). */
  public static Path tempPath(Path finalPath, String attempt) {
    return new Path(finalPath.getParent(), Plan.tempName(finalPath.getName(), attempt));
  }

  /**
   * Writes the file {@code relPath} under {@code out} through a temporary name and renames it into place;
   * returns its size. An I/O error names the file.
   *
   * @param attempt unique to the run and the task attempt
   */
  public static long place(FileSystem fs, Path out, String relPath, String attempt, FileWrite write)
      throws IOException {
    Path finalPath = new Path(out, relPath);
    if (Fs.publishesOnClose(fs, out)) {
      FileSink sink = FileSink.object(fs, finalPath);
      try {
        write.to(sink);
        sink.publish();
      } catch (InterruptedIOException e) {
        sink.discard();
        throw e;
      } catch (IOException e) {
        sink.discard();
        throw new IOException("cannot write " + finalPath + ": " + rootMessage(e), e);
      } catch (RuntimeException | Error e) {
        sink.discard();
        throw e;
      }
      return fs.getFileStatus(finalPath).getLen();
    }
    Path tmp = tempPath(finalPath, attempt);
    try {
      fs.mkdirs(finalPath.getParent());
      fs.delete(tmp, false);
      write.to(FileSink.file(fs, tmp));
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      throw new IOException("cannot write " + finalPath + ": " + rootMessage(e), e);
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
}
