package dev.shardinit.format.io;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/** Hadoop file systems for the output, on the driver and on executors. */
public final class Fs {
  private Fs() {}

  /**
   * The file system of {@code p}; for local paths a raw one, so no ".crc" side files appear next to ours
   * (every data file carries its own CRC-32C in the manifest), that creates files without a process start
   * each ({@link LocalFs}).
   */
  public static FileSystem of(Path p, Configuration conf) throws IOException {
    FileSystem fs = p.getFileSystem(conf);
    if (fs instanceof LocalFileSystem) {
      return local(conf);
    }
    return fs;
  }

  /** A new raw local file system ({@link LocalFs}). */
  public static FileSystem local(Configuration conf) throws IOException {
    LocalFs fs = new LocalFs();
    fs.initialize(java.net.URI.create("file:///"), conf);
    return fs;
  }

  /** The path of {@code p} relative to the directory whose path is {@code base} (as in {@code toUri().getPath()}). */
  public static String relative(String base, Path p) {
    String s = p.toUri().getPath();
    String b = base.endsWith("/") ? base : base + "/";
    return s.startsWith(b) ? s.substring(b.length()) : s;
  }

  /**
   * The files below {@code dir} whose paths relative to it {@code names} does not hold, relative, in listing
   * order. Walks with listStatus: listFiles gives located statuses, whose permissions the local file system
   * reads by running a process per file.
   */
  public static List<String> filesNotIn(FileSystem fs, Path dir, Set<String> names) throws IOException {
    List<String> found = new ArrayList<>();
    collect(fs, dir, fs.makeQualified(dir).toUri().getPath(), names, found);
    return found;
  }

  private static void collect(FileSystem fs, Path dir, String base, Set<String> names, List<String> found)
      throws IOException {
    for (FileStatus st : fs.listStatus(dir)) {
      if (st.isDirectory()) {
        collect(fs, st.getPath(), base, names, found);
      } else {
        String rel = relative(base, st.getPath());
        if (!names.contains(rel)) {
          found.add(rel);
        }
      }
    }
  }

  /**
   * A Configuration's entries as bytes, to ship to executors: a count, then each key and value as a length and
   * UTF-8. A few hundred entries serialise as one byte array, where a map of strings made Java serialization
   * write (and the task read) each string on its own, cold, in the job's first task.
   */
  public static byte[] bytes(Configuration conf) {
    try {
      ByteArrayOutputStream buf = new ByteArrayOutputStream(1 << 16);
      DataOutputStream out = new DataOutputStream(buf);
      List<Map.Entry<String, String>> entries = new ArrayList<>();
      for (Map.Entry<String, String> e : conf) {
        entries.add(e);
      }
      out.writeInt(entries.size());
      for (Map.Entry<String, String> e : entries) {
        writeString(out, e.getKey());
        writeString(out, e.getValue());
      }
      out.flush();
      return buf.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
  }

  /** The Configuration {@link #bytes} encoded (without Hadoop's default resources: every entry is in them). */
  public static Configuration fromBytes(byte[] bytes) {
    Configuration c = new Configuration(false);
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
      for (int n = in.readInt(); n > 0; n--) {
        c.set(readString(in), readString(in));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("damaged configuration bytes", e);
    }
    return c;
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
