package dev.shardinit.cli;

import dev.shardinit.plan.ByteSize;

/** A size option: {@link ByteSize#parse}, its error naming the option. */
final class Sizes {
  private Sizes() {}

  static long parse(String option, String s) {
    try {
      return ByteSize.parse(s);
    } catch (IllegalArgumentException e) {
      throw new CliError(option + ": " + e.getMessage());
    }
  }
}
