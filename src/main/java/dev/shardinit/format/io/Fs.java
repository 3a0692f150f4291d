package dev.shardinit.format.io;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
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

  /**
   * One LocalFs per Configuration object (an executor's tasks share the broadcast one), as Hadoop caches its own
   * file systems. Both references are weak: a file system refers to its configuration.
   */
  private static final Map<Configuration, WeakReference<LocalFs>> LOCAL = new WeakHashMap<>();

  /** The raw local file system ({@link LocalFs}) of a configuration. */
  public static FileSystem local(Configuration conf) throws IOException {
    synchronized (LOCAL) {
      WeakReference<LocalFs> ref = LOCAL.get(conf);
      LocalFs fs = ref == null ? null : ref.get();
      if (fs == null) {
        fs = new LocalFs();
        fs.initialize(java.net.URI.create("file:///"), conf);
        LOCAL.put(conf, new WeakReference<>(fs));
      }
      return fs;
    }
  }

  /**
   * The local file behind {@code p} when {@code fs} is a local (or shared POSIX) file system, whose files take
   * positional writes; null for any other file system.
   */
  public static java.io.File localFile(FileSystem fs, Path p) {
    if (!positional(fs)) {
      return null;
    }
    if (fs instanceof org.apache.hadoop.fs.RawLocalFileSystem) {
      return ((org.apache.hadoop.fs.RawLocalFileSystem) fs).pathToFile(p);
    }
    if (fs instanceof LocalFileSystem) {
      return ((LocalFileSystem) fs).pathToFile(p);
    }
    return null;
  }

  /**
   * Whether {@code fs} takes positional writes into its files: the local file system of {@code file:} paths (a
   * local disk, or a shared POSIX mount every executor sees). Any other scheme, even one a local file system
   * serves, is written as streams.
   */
  public static boolean positional(FileSystem fs) {
    return "file".equals(fs.getUri().getScheme())
        && (fs instanceof org.apache.hadoop.fs.RawLocalFileSystem || fs instanceof LocalFileSystem);
  }

  /**
   * Whether {@code fs} makes a file visible only when its stream closes, and can abort a stream instead
   * (Hadoop's {@code fs.capability.outputstream.abortable}: S3A and the object stores like it). There a rename is
   * a copy of the whole object and a directory rename is not atomic, so shardinit writes each file straight to
   * its name and aborts the stream of a failed write, which then leaves nothing (docs/FORMAT.md).
   */
  public static boolean publishesOnClose(FileSystem fs, Path p) {
    try {
      return fs.hasPathCapability(p, org.apache.hadoop.fs.CommonPathCapabilities.ABORTABLE_STREAM);
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
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
}
