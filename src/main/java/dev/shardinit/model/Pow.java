package dev.shardinit.model;

import java.math.BigDecimal;

/** Powers as transformers' Python code computes them, bit for bit. */
final class Pow {
  private Pow() {}

  /**
   * {@code x ** -0.5} for a positive integer x, correctly rounded: the float64 nearest to x^(-1/2). Python's
   * {@code x ** -0.5} calls the platform's C pow, which is only promised within an ulp (glibc's differs from the
   * nearest value for 105 of the integers up to 100,000, and macOS's libm is another), and {@code StrictMath.pow}
   * is fdlibm's, also an ulp off at times (128); the correctly rounded value is the one every platform can
   * reproduce (docs/MODELS.md). Starts from 1/sqrt(x) and moves to the neighbour while the exact square test says
   * the true value lies beyond the midpoint between them.
   */
  static double minusHalf(long x) {
    if (x < 1 || x > (1L << 53)) {
      throw new IllegalArgumentException("x must be in [1, 2^53], got " + x);
    }
    BigDecimal bx = BigDecimal.valueOf(x);
    double c = 1.0 / Math.sqrt(x);
    for (int i = 0; i < 4; i++) {
      BigDecimal v = new BigDecimal(c);
      BigDecimal lo = v.add(new BigDecimal(Math.nextDown(c))).divide(BigDecimal.valueOf(2));
      BigDecimal hi = v.add(new BigDecimal(Math.nextUp(c))).divide(BigDecimal.valueOf(2));
      if (lo.multiply(lo).multiply(bx).compareTo(BigDecimal.ONE) >= 0) {
        c = Math.nextDown(c); // x^(-1/2) <= lo: below the midpoint under c
      } else if (hi.multiply(hi).multiply(bx).compareTo(BigDecimal.ONE) <= 0) {
        c = Math.nextUp(c); // x^(-1/2) >= hi
      } else {
        return c;
      }
    }
    throw new IllegalStateException("no convergence for " + x);
  }
}
