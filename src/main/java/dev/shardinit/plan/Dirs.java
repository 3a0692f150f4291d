package dev.shardinit.plan;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The directory of each tensor in a checkpoint of a file per shard (docs/FORMAT.md): its name made safe for
 * every common file system, unique, and checked against their limits.
 */
public final class Dirs {
  private Dirs() {}

  /** The longest directory name, in bytes, that common file systems (ext4, XFS, NTFS, APFS, HDFS) hold. */
  public static final int MAX_NAME_BYTES = 255;

  /**
   * A tensor whose name the checkpoint layout cannot hold: its directory name is too long for a file system, or
   * differs only in case from another tensor's (one directory on case-insensitive file systems).
   */
  public static final class NameException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final int tensor;

    NameException(int tensor, String message) {
      super(message);
      this.tensor = tensor;
    }

    /** The index of the tensor, in plan order. */
    public int tensor() {
      return tensor;
    }
  }

  /**
   * The directory of each tensor, in order ({@link #unique}), checked: at most {@link #MAX_NAME_BYTES} bytes,
   * and no two that differ only in case.
   *
   * @throws NameException naming the first tensor whose directory fails a check
   */
  public static List<String> of(List<String> names) {
    Set<String> taken = new HashSet<>();
    taken.add("manifest.json"); // the checkpoint's own file at the top level
    java.util.Map<String, Integer> folded = new java.util.HashMap<>();
    folded.put("manifest.json", -1);
    List<String> dirs = new ArrayList<>(names.size());
    for (int t = 0; t < names.size(); t++) {
      String dir = unique(names.get(t), taken);
      if (dir.length() > MAX_NAME_BYTES) { // the sanitised name is ASCII: one byte a character
        throw new NameException(t, "its directory name would be " + dir.length() + " bytes long; file systems "
            + "hold at most " + MAX_NAME_BYTES + " (shorten the name)");
      }
      Integer other = folded.putIfAbsent(dir.toLowerCase(Locale.ROOT), t);
      if (other != null) {
        throw new NameException(t, "its directory '" + dir + "' differs only in case from "
            + (other < 0 ? "the checkpoint's manifest.json" : "that of '" + names.get(other) + "'")
            + "; they would be one directory on a case-insensitive file system (macOS, Windows)");
      }
      dirs.add(dir);
    }
    return dirs;
  }

  /**
   * A directory name for a tensor: its name with every character outside [A-Za-z0-9._-] replaced by '_',
   * made unique by a suffix "~N" when two names map to the same directory.
   */
  public static String unique(String name, Set<String> taken) {
    StringBuilder b = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
          || c == '_' || c == '-';
      b.append(ok ? c : '_');
    }
    String base = b.toString();
    if (base.startsWith(".")) {
      base = "_" + base.substring(1); // no hidden directories, no "." or ".."
    }
    String dir = base;
    for (int n = 2; !taken.add(dir); n++) {
      dir = base + "~" + n;
    }
    return dir;
  }
}
