package dev.shardinit.task;

import dev.shardinit.format.FileEntry;
import dev.shardinit.format.FileFormat;
import dev.shardinit.format.ShardFiles;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** {@link FileCheck} of a region of a packed file (safetensors): the values only; the header is the driver's. */
final class RegionCheck {
  private RegionCheck() {}

  /**
   * Checks a region of a packed file: its bytes from the entry's offset are compared, as they are read, with the
   * values regenerated; a difference is named by its first element, a file that ends early by where it ends.
   */
  static FileCheck.Outcome check(FileSystem fs, Path path, Initializer init, FileEntry f, String where,
      LongConsumer onBytes) throws IOException {
    List<String> problems = new ArrayList<>();
    Dtype dt = init.target().dtype();
    String at = where + " elements [" + f.start() + ", " + f.end() + ")";
    Stats.Accumulator acc = new Stats.Accumulator(dt);
    try (org.apache.hadoop.fs.FSDataInputStream in = fs.open(path, 1 << 20)) {
      in.seek(f.offset());
      FileCheck.Comparing sink = new FileCheck.Comparing(new Bounded(in, f.bytes()));
      try {
        ShardFiles.encode(sink, FileFormat.SAFETENSORS, dt, f.start(), new long[] {f.elements()},
            new FileCheck.Filling(init, f.start(), f.end(), acc, Map.of(), Map.of(), onBytes));
      } catch (IOException e) {
        FileCheck.Mismatch m = FileCheck.mismatch(e);
        if (m == null) {
          throw e;
        }
        long end = fs.getFileStatus(path).getLen();
        if (f.offset() + m.at >= end) {
          problems.add(at + ": the file ends at byte " + end + ", before the region's end at byte "
              + (f.offset() + f.bytes()));
        } else {
          problems.add(at + ": element " + (f.start() + m.at / dt.bytes()) + " (byte " + (f.offset() + m.at)
              + ") differs from its regeneration");
        }
        return new FileCheck.Outcome(problems, f.elements());
      }
    } catch (FileNotFoundException e) {
      problems.add(where + ": missing");
      return new FileCheck.Outcome(problems, 0);
    } catch (java.io.EOFException e) {
      problems.add(at + ": the file ends before the region starts at byte " + f.offset());
      return new FileCheck.Outcome(problems, 0);
    } catch (java.io.InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      problems.add(where + ": cannot be read: " + e.getMessage());
      return new FileCheck.Outcome(problems, 0);
    }
    FileCheck.compareStats(acc.result(), f, at, problems);
    return new FileCheck.Outcome(problems, f.elements());
  }

  /** The first {@code n} bytes of a stream. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private long left;

    Bounded(InputStream in, long n) {
      this.in = in;
      this.left = n;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = in.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }

}
