package dev.shardinit.task;

import dev.shardinit.format.FileSink;
import dev.shardinit.format.io.Fs;
import dev.shardinit.plan.Plan;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where a task's shard goes: a file of its own, written under a temporary name and renamed into place
 * ({@link Placement}); or a region of a packed file (safetensors) that the driver made with its header before the
 * job, written in place with positional writes, so any number of tasks fill one file at once, and renamed by
 * the driver once every region is written.
 */
public interface Destination {
  /** Writes an encoded shard into the sink it is given. */
  @FunctionalInterface
  interface Encoding {
    void into(FileSink sink) throws IOException;
  }

  /** Writes shard {@code s}, encoded by {@code e}, to its place; returns the bytes it takes there. */
  long write(Plan.Shard s, Encoding e) throws IOException;

  /**
   * Each shard a file of its own under {@code out}.
   *
   * @param attempt unique to the run and the task attempt: marks the temporary files
   */
  static Destination files(FileSystem fs, Path out, String attempt) {
    return (s, e) -> Placement.place(fs, out, s.path(), attempt, tmp -> e.into(FileSink.file(fs, tmp)));
  }

  /**
   * Each shard a region of its packed file under {@code out}, which the driver has made under the run's
   * temporary name ({@link Placement#tempPath} with {@code runTag}) on a local or shared POSIX file system.
   *
   * @param dataStarts the position of the data section of each packed file, by name
   */
  static Destination regions(FileSystem fs, Path out, String runTag, Map<String, Long> dataStarts) {
    Map<String, java.io.File> files = new HashMap<>();
    return (s, e) -> {
      java.io.File f = files.get(s.path());
      if (f == null) {
        f = Fs.localFile(fs, Placement.tempPath(new Path(out, s.path()), runTag));
        if (f == null) {
          throw new IOException("cannot write " + new Path(out, s.path()) + ": packed files need a local or "
              + "shared POSIX file system");
        }
        files.put(s.path(), f);
      }
      long at = dataStarts.get(s.path()) + s.dataOffset();
      try {
        e.into(FileSink.region(f, at));
      } catch (java.io.InterruptedIOException x) {
        throw x;
      } catch (IOException x) {
        throw new IOException("cannot write " + new Path(out, s.path()) + " from byte " + at + ": "
            + Placement.rootMessage(x), x);
      }
      return s.bytes();
    };
  }
}
