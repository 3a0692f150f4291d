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
 * the driver once every region is written; or, where the file system has no positional writes, that region as a
 * part file of its own, assembled into the packed file after the job ({@link Assembly}).
 */
public interface Destination {
  /** Writes an encoded shard into the sink it is given. */
  @FunctionalInterface
  interface Encoding {
    void into(FileSink sink) throws IOException;
  }

  /**
   * Writes a shard, encoded by {@code e}, to its place: the file {@code path}, or (packed) the region of the file
   * {@code path} from {@code dataOffset} in its data section, {@code bytes} long. Returns the bytes it takes there.
   */
  long write(String path, long dataOffset, long bytes, Encoding e) throws IOException;

  /** Writes shard {@code s}, encoded by {@code e}, to its place; returns the bytes it takes there. */
  default long write(Plan.Shard s, Encoding e) throws IOException {
    return write(s.path(), s.dataOffset(), s.bytes(), e);
  }

  /**
   * Each shard a file of its own under {@code out}.
   *
   * @param attempt unique to the run and the task attempt: marks the temporary files
   */
  static Destination files(FileSystem fs, Path out, String attempt) {
    return (path, dataOffset, bytes, e) -> Placement.place(fs, out, path, attempt, e::into);
  }

  /**
   * Each shard a region of its packed file under {@code out}, written as a file of its own in the file's parts
   * directory ({@link Plan#partsDir} with {@code runTag}; through a temporary name unique to {@code attempt}), to
   * be assembled once every region is written ({@link Assembly}): for file systems without positional writes.
   */
  static Destination parts(FileSystem fs, Path out, String attempt, String runTag) {
    return (path, dataOffset, bytes, e) -> Placement.place(fs, out,
        Plan.partsDir(path, runTag) + "/" + Plan.partName(dataOffset), attempt, e::into);
  }

  /**
   * Each shard a region of its packed file under {@code out}, which the driver has made under the run's
   * temporary name ({@link Placement#tempPath} with {@code runTag}) on a local or shared POSIX file system.
   *
   * @param dataStarts the position of the data section of each packed file, by name
   */
  static Destination regions(FileSystem fs, Path out, String runTag, Map<String, Long> dataStarts) {
    Map<String, java.io.File> files = new HashMap<>();
    return (path, dataOffset, bytes, e) -> {
      java.io.File f = files.get(path);
      if (f == null) {
        f = Fs.localFile(fs, Placement.tempPath(new Path(out, path), runTag));
        if (f == null) {
          throw new IOException("cannot write " + new Path(out, path) + ": positional writes need a local or "
              + "shared POSIX file system");
        }
        files.put(path, f);
      }
      long at = dataStarts.get(path) + dataOffset;
      try {
        e.into(FileSink.region(f, at));
      } catch (java.io.InterruptedIOException x) {
        throw x;
      } catch (IOException x) {
        throw new IOException("cannot write " + new Path(out, path) + " from byte " + at + ": "
            + Placement.rootMessage(x), x);
      }
      return bytes;
    };
  }
}
