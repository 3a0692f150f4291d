package dev.shardinit.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as users write them: 134217728, 128MiB, 128M, 1.5GiB, 64kb. Binary multiples throughout. */
final class Sizes {
  private static final Pattern SIZE = Pattern.compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([kmgt]?)(i?b)?\\s*");

  private Sizes() {}

  static long parse(String option, String s) {
    Matcher m = SIZE.matcher(s.toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new CliError(option + ": cannot parse '" + s + "'; use bytes or a number with KiB, MiB, GiB or TiB "
          + "(e.g. 128MiB)");
    }
    double v = Double.parseDouble(m.group(1));
    int shift = "kmgt".indexOf(m.group(2).isEmpty() ? "-" : m.group(2)) + 1;
    double bytes = v * Math.pow(1024, shift);
    if (bytes < 1 || bytes > Long.MAX_VALUE / 2) {
      throw new CliError(option + ": size out of range: '" + s + "'");
    }
    return (long) bytes;
  }
}
