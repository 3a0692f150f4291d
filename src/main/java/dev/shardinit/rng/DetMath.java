package dev.shardinit.rng;

/**
 * Logarithm and exponential built only from IEEE-754 addition, multiplication, division and exact bit
 * operations, so they give the same bits on every JVM and can be re-implemented operation for operation
 * (docs/RNG.md). {@link Math#log} and {@link Math#exp} are allowed to differ by an ulp between platforms.
 */
public final class DetMath {
  /** ln 2 split so that {@code k * LN2_HI} is exact for |k| &lt; 2^11. */
  static final double LN2_HI = Double.longBitsToDouble(0x3FE62E42FEE00000L);
  static final double LN2_LO = Double.longBitsToDouble(0x3DEA39EF35793C76L);
  static final double INV_LN2 = Double.longBitsToDouble(0x3FF71547652B82FEL);
  static final double SQRT2 = Double.longBitsToDouble(0x3FF6A09E667F3BCDL);

  /** 1/(2k+1), k = 0..11: the series of atanh. */
  private static final double[] ATANH = new double[12];
  /** 1/k!, k = 0..14: the series of exp. */
  private static final double[] EXP = new double[15];

  static {
    for (int k = 0; k < ATANH.length; k++) {
      ATANH[k] = 1.0 / (2 * k + 1);
    }
    double f = 1.0;
    for (int k = 0; k < EXP.length; k++) {
      if (k > 0) {
        f *= k;
      }
      EXP[k] = 1.0 / f;
    }
  }

  /** The atanh series' coefficients as constants, for loops that evaluate it inline ({@link Gaussian}). */
  static final double T0 = ATANH[0], T1 = ATANH[1], T2 = ATANH[2], T3 = ATANH[3], T4 = ATANH[4], T5 = ATANH[5],
      T6 = ATANH[6], T7 = ATANH[7], T8 = ATANH[8], T9 = ATANH[9], T10 = ATANH[10], T11 = ATANH[11];

  private DetMath() {}

  /** Natural logarithm of {@code x}; -inf at 0, NaN below 0. Accurate to a few ulps. */
  public static double log(double x) {
    if (!(x > 0)) {
      return x == 0 ? Double.NEGATIVE_INFINITY : Double.NaN;
    }
    if (x == Double.POSITIVE_INFINITY) {
      return x;
    }
    int e = 0;
    if (x < Double.MIN_NORMAL) {
      x *= 0x1.0p54;
      e = -54;
    }
    long bits = Double.doubleToRawLongBits(x);
    e += (int) (bits >>> 52) - 1023;
    double m = Double.longBitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
    if (m > SQRT2) {
      m *= 0.5;
      e += 1;
    }
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double s2 = s * s;
    double p = ATANH[ATANH.length - 1];
    for (int k = ATANH.length - 2; k >= 0; k--) {
      p = p * s2 + ATANH[k];
    }
    double r = 2.0 * s * p;
    return e * LN2_HI + (e * LN2_LO + r);
  }

  /** e^x; 0 below -746, +inf above 710. Accurate to a few ulps. */
  public static double exp(double x) {
    if (x != x) {
      return x;
    }
    if (x < -746.0) {
      return 0.0;
    }
    if (x > 710.0) {
      return Double.POSITIVE_INFINITY;
    }
    double k = Math.rint(x * INV_LN2);
    double r = (x - k * LN2_HI) - k * LN2_LO;
    double p = EXP[EXP.length - 1];
    for (int i = EXP.length - 2; i >= 0; i--) {
      p = p * r + EXP[i];
    }
    // Two steps so that neither scale factor over- or underflows on its own.
    int ki = (int) k;
    int half = ki / 2;
    return p * Math.scalb(1.0, half) * Math.scalb(1.0, ki - half);
  }
}
