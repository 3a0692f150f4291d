package dev.shardinit.task;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardinit.format.FileEntry;
import dev.shardinit.format.FileFormat;
import dev.shardinit.format.FileSink;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.ManifestJson;
import dev.shardinit.format.ManifestReader;
import dev.shardinit.format.ShardData;
import dev.shardinit.format.ShardFiles;
import dev.shardinit.format.ShardSource;
import dev.shardinit.format.TensorEntry;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import dev.shardinit.plan.Layout;
import dev.shardinit.rng.Scratch;
import dev.shardinit.rng.Stream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Verifies one data file against its regeneration: the file is encoded again, as generate would write it, from
 * the tensor's call and the manifest's entry for the file, and the encoding is compared byte for byte with the
 * file as it is read, in one pass and in bounded memory. Equal bytes prove the values, the rows, the metadata
 * (which repeats the tensor's entry and the file's range and checksum) and the encoding at once; the values'
 * checksum and statistics are then compared with the manifest's. Only a file that differs is read whole, to
 * say what differs.
 */
public final class FileCheck {
  private FileCheck() {}

  /** What checking a file found, and how many of its elements were checked. */
  public static final class Outcome implements Serializable {
    private static final long serialVersionUID = 1L;
    public final List<String> problems;
    public final long elements;

    Outcome(List<String> problems, long elements) {
      this.problems = List.copyOf(problems);
      this.elements = elements;
    }
  }

  /**
   * Checks the file {@code f} of the tensor that {@code init} fills, at {@code path}. A file of the current
   * format version is compared byte for byte with its encoding; one of version 2 (whose encoder this code no
   * longer has: Parquet page statistics, Arrow schemas completed in place) is read and its values, rows,
   * metadata and checksum compared.
   *
   * @param onBytes told the bytes of values checked, as they are
   */
  public static Outcome check(FileSystem fs, Path path, FileFormat format, int formatVersion, Initializer init,
      FileEntry f, LongConsumer onBytes) throws IOException {
    String where = "tensor '" + init.target().name() + "' file " + f.path();
    if (format.packed()) {
      return RegionCheck.check(fs, path, init, f, where, onBytes);
    }
    List<String> problems = new ArrayList<>();
    Dtype dt = init.target().dtype();
    long[] pieces = Layout.pieces(Layout.rowLength(init.target().shape(), init.target().numel()), f.start(), f.end());
    TensorEntry tensor = TensorEntry.of(init, null, 0, List.of());
    Map<String, String> head = metadata(tensor, init, f, pieces.length, null);
    Map<String, String> full = metadata(tensor, init, f, pieces.length, f.crc32c());
    if (formatVersion < Manifest.FORMAT_VERSION) {
      diagnose(fs, path, format, init, f, pieces, full, -1, where, problems);
      onBytes.accept(f.elements() * dt.bytes());
      return new Outcome(problems, f.elements());
    }
    Stats.Accumulator acc = new Stats.Accumulator(dt);
    long mismatch = -1;
    try (InputStream in = fs.open(path, 1 << 20)) {
      Comparing sink = new Comparing(in);
      try {
        ShardFiles.encode(sink, format, dt, f.start(), pieces, new Filling(init, f.start(), f.end(), acc, head, full,
            onBytes));
        sink.end();
      } catch (IOException e) {
        Mismatch m = mismatch(e);
        if (m == null) {
          throw e;
        }
        mismatch = m.at;
      }
    } catch (FileNotFoundException e) {
      problems.add(where + ": missing");
      return new Outcome(problems, 0);
    } catch (java.io.InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      problems.add(where + ": cannot be read: " + e.getMessage());
      return new Outcome(problems, 0);
    }
    if (mismatch >= 0) {
      diagnose(fs, path, format, init, f, pieces, format == FileFormat.ARROW ? head : full, mismatch, where,
          problems);
    } else {
      compareStats(acc.result(), f, where, problems);
    }
    return new Outcome(problems, f.elements());
  }

  /** The comparison's stop, where an encoder wrapped it (parquet-java wraps its footer's write failures). */
  static Mismatch mismatch(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof Mismatch) {
        return (Mismatch) t;
      }
    }
    return null;
  }

  /** The metadata generate writes into the file: the tensor's entry from its call, the file's from the manifest. */
  private static Map<String, String> metadata(TensorEntry tensor, Initializer init, FileEntry f, int rows,
      Integer crc32c) {
    return ManifestJson.fileMetadata(tensor, init.target().seed(), Stream.SPEC_VERSION, f.start(), f.end(), rows,
        crc32c);
  }

  static void compareStats(Stats st, FileEntry f, String where, List<String> problems) {
    if (st.crc32c != f.crc32c()) {
      problems.add(where + ": crc32c is " + ManifestJson.hex(f.crc32c()) + " in the manifest, but its values give "
          + ManifestJson.hex(st.crc32c));
    }
    double[][] pairs = {{f.min(), st.min}, {f.max(), st.max}, {f.mean(), st.mean}, {f.std(), st.std}};
    String[] names = {"min", "max", "mean", "std"};
    for (int i = 0; i < pairs.length; i++) {
      if (Double.doubleToLongBits(pairs[i][0]) != Double.doubleToLongBits(pairs[i][1])) {
        problems.add(where + ": " + names[i] + " is " + pairs[i][0] + " in the manifest, but its values give "
            + pairs[i][1]);
      }
    }
  }

  /**
   * Says what differs in a file: reads it whole and compares its values, rows, checksum and metadata with their
   * regeneration. {@code at}: where its bytes first differ from their encoding, or -1 when they were not
   * compared (a file of an earlier format version).
   */
  private static void diagnose(FileSystem fs, Path path, FileFormat format, Initializer init, FileEntry f,
      long[] pieces, Map<String, String> metadata, long at, String where, List<String> problems) throws IOException {
    int before = problems.size();
    Dtype dt = init.target().dtype();
    ByteBuffer want = ByteBuffer.allocate(Math.toIntExact(f.elements() * dt.bytes())).order(ByteOrder.LITTLE_ENDIAN);
    Stats.Accumulator acc = new Stats.Accumulator(dt);
    Scratch scratch = new Scratch();
    for (long i = f.start(); i < f.end(); i += ShardWriter.SLICE) {
      int from = want.position();
      init.fill(i, Math.min(f.end(), i + ShardWriter.SLICE), want, scratch);
      acc.add(want.duplicate().flip().position(from));
    }
    want.flip();
    compareStats(acc.result(), f, where, problems);
    ShardData d;
    try {
      d = ShardFiles.read(fs, path, format);
    } catch (IOException | RuntimeException e) {
      problems.add(where + ": unreadable as " + format.id() + " (" + e.getMessage() + ")"
          + (at >= 0 ? "; it differs from its regeneration from byte " + at : ""));
      return;
    }
    if (d.dtype() != dt) {
      problems.add(where + ": holds " + d.dtype().id() + " values, the manifest says " + dt.id());
      return;
    }
    long[] offsets = new long[pieces.length];
    for (int i = 0, k = 0; i < pieces.length; i++) {
      offsets[i] = f.start() + k;
      k += pieces[i];
    }
    if (!Arrays.equals(d.lengths(), pieces) || !Arrays.equals(d.offsets(), offsets)) {
      problems.add(where + ": its rows differ from the layout of elements [" + f.start() + ", " + f.end() + ")");
    }
    ByteBuffer got = d.values();
    if (got.remaining() != want.remaining()) {
      problems.add(where + ": holds " + got.remaining() / dt.bytes() + " values, the manifest says " + f.elements());
    } else {
      int m = got.mismatch(want);
      if (m >= 0) {
        problems.add(where + ": element " + (f.start() + m / dt.bytes()) + " differs from its regeneration");
      }
    }
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(d.values());
    if ((int) crc.getValue() != f.crc32c()) {
      problems.add(where + ": the CRC-32C of its values is " + ManifestJson.hex((int) crc.getValue())
          + ", the manifest says " + ManifestJson.hex(f.crc32c()));
    }
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      String have = d.metadata().get(e.getKey());
      if (have == null) {
        problems.add(where + ": its metadata has no " + e.getKey());
      } else if (!have.equals(e.getValue())) {
        problems.add(where + ": its metadata " + e.getKey() + " differs from the manifest in "
            + differingFields(ManifestReader.tree(have), ManifestReader.tree(e.getValue())));
      }
    }
    Set<String> extra = new LinkedHashSet<>(d.metadata().keySet());
    extra.removeAll(metadata.keySet());
    if (!extra.isEmpty()) {
      problems.add(where + ": its metadata has keys shardinit does not write: " + extra);
    }
    if (problems.size() == before && at >= 0) {
      problems.add(where + ": its bytes differ from their regeneration at byte " + at + " (values, rows and "
          + "metadata agree: the encoding differs)");
    }
  }

  /** The top-level fields in which two JSON objects differ, for a message. */
  private static String differingFields(JsonNode have, JsonNode want) {
    if (have == null || !have.isObject()) {
      return "everything (it is not a JSON object)";
    }
    Set<String> keys = new LinkedHashSet<>();
    for (Iterator<String> it = want.fieldNames(); it.hasNext(); ) {
      keys.add(it.next());
    }
    for (Iterator<String> it = have.fieldNames(); it.hasNext(); ) {
      keys.add(it.next());
    }
    List<String> differ = new ArrayList<>();
    for (String k : keys) {
      if (!java.util.Objects.equals(have.get(k), want.get(k))) {
        differ.add(k);
      }
    }
    return differ.isEmpty() ? "its formatting" : String.join(", ", differ);
  }

  /** The values of elements [start, end), filled as they are read, summarised and counted on the way. */
  static final class Filling implements ShardSource {
    private final Initializer init;
    private final Stats.Accumulator acc;
    private final Map<String, String> head;
    private final Map<String, String> metadata;
    private final LongConsumer onBytes;
    private final Scratch scratch = new Scratch();
    private final int bytes;
    private final long end;
    private long next;

    Filling(Initializer init, long start, long end, Stats.Accumulator acc, Map<String, String> head,
        Map<String, String> metadata, LongConsumer onBytes) {
      this.init = init;
      this.acc = acc;
      this.head = head;
      this.metadata = metadata;
      this.onBytes = onBytes;
      this.bytes = init.target().dtype().bytes();
      this.next = start;
      this.end = end;
    }

    @Override
    public void read(ByteBuffer dst) throws IOException {
      long n = dst.remaining() / bytes;
      if (next + n > end) {
        throw new IOException("more values asked for than the file holds");
      }
      for (long i = next; i < next + n; i += ShardWriter.SLICE) {
        if (Thread.currentThread().isInterrupted()) {
          throw new java.io.InterruptedIOException("the task was cancelled");
        }
        int from = dst.position();
        init.fill(i, Math.min(next + n, i + ShardWriter.SLICE), dst, scratch);
        acc.add(dst.duplicate().flip().position(from));
      }
      next += n;
      onBytes.accept(n * bytes);
    }

    @Override
    public Map<String, String> headMetadata() {
      return head;
    }

    @Override
    public Map<String, String> metadata() throws IOException {
      if (next != end) {
        throw new IOException("fewer values read than the file holds");
      }
      return metadata;
    }
  }

  /** The first byte at which an encoding and the file differ. */
  static final class Mismatch extends IOException {
    private static final long serialVersionUID = 1L;
    final long at;

    Mismatch(long at) {
      super("differs at byte " + at);
      this.at = at;
    }
  }

  /** A sink that compares what is written with a file's bytes, and stops at the first difference. */
  static final class Comparing implements FileSink {
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    long position;

    Comparing(InputStream in) {
      this.in = in;
    }

    @Override
    public FSDataOutputStream create() {
      return new FSDataOutputStream(new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          while (len > 0) {
            int n = Math.min(len, buf.length);
            int got = in.readNBytes(buf, 0, n);
            int m = Arrays.mismatch(buf, 0, got, b, off, off + n);
            if (m >= 0) {
              throw new Mismatch(position + m);
            }
            position += n;
            off += n;
            len -= n;
          }
        }
      }, null);
    }

    /** After the last byte: the file must end here too. */
    void end() throws IOException {
      if (in.read() >= 0) {
        throw new Mismatch(position);
      }
    }

    @Override
    public void discard() {}

    @Override
    public String describe() {
      return "a comparison";
    }
  }
}
