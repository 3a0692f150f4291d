package dev.shardinit.plan;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte counts as people read and write them: binary units (KiB, MiB, ...). */
public final class ByteSize {
  private static final Pattern SIZE = Pattern.compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([kmgt]?)(i?b)?\\s*");
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private ByteSize() {}

  /** "512 B", "1.5 KiB", "128.0 MiB". */
  public static String show(long bytes) {
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < UNITS.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, UNITS[u]);
  }

  /**
   * Parses 134217728, 128MiB, 128M, 1.5GiB, 64kb (binary multiples throughout).
   *
   * @throws IllegalArgumentException saying what is accepted, or that the size is out of range
   */
  public static long parse(String s) {
    Matcher m = SIZE.matcher(s.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException("cannot parse '" + s + "'; use bytes or a number with KiB, MiB, GiB or "
          + "TiB (e.g. 128MiB)");
    }
    double v = Double.parseDouble(m.group(1));
    int shift = "kmgt".indexOf(m.group(2).isEmpty() ? "-" : m.group(2)) + 1;
    double bytes = v * Math.pow(1024, shift);
    if (bytes < 1 || bytes > Long.MAX_VALUE / 2) {
      throw new IllegalArgumentException("size out of range: '" + s + "'");
    }
    return (long) bytes;
  }

  private static final Pattern HF_SIZE = Pattern.compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(?:([KkMmGgTt])([Ii]?)([Bb]))?\\s*");

  /**
   * Parses a size as Hugging Face's {@code max_shard_size} does: bytes, or a number with KB, MB, GB, TB (decimal:
   * 5GB = 5,000,000,000 bytes), KiB, MiB, GiB, TiB (binary), or Kb, Mb, Gb, Tb (decimal bits, an eighth of the
   * bytes), letters in any case but the final b/B.
   *
   * @throws IllegalArgumentException saying what is accepted, or that the size is out of range
   */
  public static long parseDecimal(String s) {
    Matcher m = HF_SIZE.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException("cannot parse '" + s + "'; use bytes or a number with KB, MB, GB or TB "
          + "(decimal, as Hugging Face reads them: 5GB = 5,000,000,000 bytes) or KiB, MiB, GiB, TiB");
    }
    double v = Double.parseDouble(m.group(1));
    if (m.group(2) != null) {
      int power = "kmgt".indexOf(m.group(2).toLowerCase(Locale.ROOT)) + 1;
      boolean binary = !m.group(3).isEmpty();
      v *= Math.pow(binary ? 1024 : 1000, power);
      if (!binary && m.group(4).equals("b")) {
        v /= 8;
      }
    }
    if (v < 1 || v > Long.MAX_VALUE / 2) {
      throw new IllegalArgumentException("size out of range: '" + s + "'");
    }
    return (long) v;
  }
}
