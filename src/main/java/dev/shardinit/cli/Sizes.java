package dev.shardinit.cli;

import dev.shardinit.plan.ByteSize;

/** Size options: {@link ByteSize#parse} and {@link ByteSize#parseDecimal}, their errors naming the option. */
final class Sizes {
  private Sizes() {}

  static long parse(String option, String s) {
    try {
      return ByteSize.parse(s);
    } catch (IllegalArgumentException e) {
      throw new CliError(option + ": " + e.getMessage());
    }
  }

  /** A size as Hugging Face reads {@code max_shard_size} ({@link ByteSize#parseDecimal}), its error naming the option. */
  static long decimal(String option, String s) {
    try {
      return ByteSize.parseDecimal(s);
    } catch (IllegalArgumentException e) {
      throw new CliError(option + ": " + e.getMessage());
    }
  }
}
