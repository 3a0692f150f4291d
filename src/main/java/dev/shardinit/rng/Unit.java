package dev.shardinit.rng;

/**
 * Words to uniform doubles in the open interval (0, 1). Both maps are exact: the result is an odd multiple
 * of 2^-33 (one word) or 2^-53 (two words), so 0, 1/2 and 1 never occur and the grid is symmetric about 1/2.
 */
public final class Unit {
  private static final double TWO_M32 = 0x1.0p-32;
  private static final double TWO_M53 = 0x1.0p-53;

  private Unit() {}

  /** {@code (2w + 1) * 2^-33} for the unsigned 32-bit word {@code w}. */
  public static double of32(int w) {
    // (w ^ 2^31) as a signed int is w - 2^31; adding 2^31 + 1/2 is exact (33 significant bits at most), and
    // the int-to-double form vectorises where the unsigned long form does not.
    return ((double) (w ^ Integer.MIN_VALUE) + 2147483648.5) * TWO_M32;
  }

  /**
   * {@code (2m + 1) * 2^-53} where {@code m} is the top 52 bits of the 64-bit value {@code hi:lo}.
   * {@code lo} is the earlier word of the stream.
   */
  public static double of64(int lo, int hi) {
    long v = ((long) hi << 32) | (lo & 0xFFFFFFFFL);
    return (double) (((v >>> 12) << 1) | 1L) * TWO_M53;
  }
}
