package dev.shardinit.spark;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/** Hadoop file systems for the output, on the driver and on executors. */
public final class Fs {
  private Fs() {}

  /**
   * The file system of {@code p}; for local paths the raw one, so no ".crc" side files appear next to ours
   * (every data file carries its own CRC-32C in the manifest).
   */
  public static FileSystem of(Path p, Configuration conf) throws IOException {
    FileSystem fs = p.getFileSystem(conf);
    if (fs instanceof LocalFileSystem) {
      return ((LocalFileSystem) fs).getRaw();
    }
    return fs;
  }

  /** The path of {@code p} relative to the directory whose path is {@code base} (as in {@code toUri().getPath()}). */
  public static String relative(String base, Path p) {
    String s = p.toUri().getPath();
    String b = base.endsWith("/") ? base : base + "/";
    return s.startsWith(b) ? s.substring(b.length()) : s;
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
