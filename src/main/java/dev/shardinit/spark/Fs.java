package dev.shardinit.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
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

  /** A Configuration as plain entries, to ship to executors. */
  public static HashMap<String, String> entries(Configuration conf) {
    HashMap<String, String> m = new HashMap<>();
    for (Map.Entry<String, String> e : conf) {
      m.put(e.getKey(), e.getValue());
    }
    return m;
  }

  public static Configuration fromEntries(Map<String, String> entries) {
    Configuration c = new Configuration(false);
    for (Map.Entry<String, String> e : entries.entrySet()) {
      c.set(e.getKey(), e.getValue());
    }
    return c;
  }
}
