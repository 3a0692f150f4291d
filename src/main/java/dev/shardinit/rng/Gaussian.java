package dev.shardinit.rng;

/**
 * The standard normal quantile and distribution functions, in float64, from arithmetic alone.
 *
 * <p>The quantile is Wichura's algorithm AS 241 (PPND16, Applied Statistics 37, 1988), accurate to about
 * 1e-16 relative for probabilities down to 1e-300. The distribution function, used only to place the bounds
 * of trunc_normal_, is Marsaglia's series near the centre and the continued fraction of the Mills ratio in
 * the tail.
 */
public final class Gaussian {
  private static final double[] A = {
    3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
    45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727};
  private static final double[] B = {
    1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
    21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852545925};
  private static final double[] C = {
    1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
    1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4};
  private static final double[] D = {
    1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
    0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9};
  private static final double[] E = {
    6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
    0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7};
  private static final double[] F = {
    1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
    7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15};

  private static final double A0 = A[0], A1 = A[1], A2 = A[2], A3 = A[3], A4 = A[4], A5 = A[5], A6 = A[6],
      A7 = A[7];
  private static final double B1 = B[1], B2 = B[2], B3 = B[3], B4 = B[4], B5 = B[5], B6 = B[6], B7 = B[7];
  private static final double C0 = C[0], C1 = C[1], C2 = C[2], C3 = C[3], C4 = C[4], C5 = C[5], C6 = C[6],
      C7 = C[7];
  private static final double D0 = D[0], D1 = D[1], D2 = D[2], D3 = D[3], D4 = D[4], D5 = D[5], D6 = D[6],
      D7 = D[7];


  private static final long CENTRAL_LIMIT_BITS = Double.doubleToRawLongBits(0.425);
  private static final long SQRT2_BITS = Double.doubleToRawLongBits(DetMath.SQRT2);

  /** 1/sqrt(2 pi). */
  static final double INV_SQRT_2PI = Double.longBitsToDouble(0x3FD9884533D43651L);

  private Gaussian() {}

  /** The p-quantile of N(0, 1): -inf at 0, +inf at 1. */
  public static double quantile(double p) {
    double q = p - 0.5;
    if (Math.abs(q) <= 0.425) {
      double r = 0.180625 - q * q;
      double num = ((((((A7 * r + A6) * r + A5) * r + A4) * r + A3) * r + A2) * r + A1) * r + A0;
      double den = ((((((B7 * r + B6) * r + B5) * r + B4) * r + B3) * r + B2) * r + B1) * r + 1.0;
      return q * num / den;
    }
    return tail(p, q);
  }

  /**
   * {@code z[k] = quantile(p[k])} for k &lt; n, bit for bit as {@link #quantile}: the central formula is applied to
   * every element in one branch-free pass (which the JIT vectorises), then the tail elements are redone.
   */
  public static void quantiles(double[] p, double[] z, int n) {
    quantiles(p, z, n, new Scratch());
  }

  /** As {@link #quantiles(double[], double[], int)}, with the caller's scratch space. */
  public static void quantiles(double[] p, double[] z, int n, Scratch t) {
    if (n > Sampler.CHUNK) {
      throw new IllegalArgumentException("at most " + Sampler.CHUNK + " values at a time, got " + n);
    }
    for (int k = 0; k < n; k++) {
      double q = p[k] - 0.5;
      double r = 0.180625 - q * q;
      double num = ((((((A7 * r + A6) * r + A5) * r + A4) * r + A3) * r + A2) * r + A1) * r + A0;
      double den = ((((((B7 * r + B6) * r + B5) * r + B4) * r + B3) * r + B2) * r + B1) * r + 1.0;
      z[k] = q * num / den;
    }
    // Gather the tail elements (branch-free) with their probabilities side by side, then evaluate the tail
    // formula over them in passes whose loops run across contiguous elements, so the long Horner chains
    // overlap and vectorise instead of waiting on each other. Every element sees the same operations in the
    // same order as quantile().
    int[] idx = t.idx;
    double[] tp = t.tp;
    int m = 0;
    for (int k = 0; k < n; k++) {
      double pk = p[k];
      idx[m] = k;
      tp[m] = pk;
      // 1 when !(|q| <= 0.425), NaN included, without a branch: compare the bits of |q| as integers.
      long qb = Double.doubleToRawLongBits(pk - 0.5) & 0x7FFFFFFFFFFFFFFFL;
      m += (int) ((CENTRAL_LIMIT_BITS - qb) >>> 63);
    }
    if (m == 0) {
      return;
    }
    double[] s = t.a;
    double[] s2 = t.b;
    double[] e = t.c;
    for (int i = 0; i < m; i++) {
      double pk = tp[i];
      double r = Math.min(pk, 1.0 - pk); // p below 1/2, 1 - p above it: the same value as quantile's choice
      if (!(r >= Double.MIN_NORMAL)) {
        r = 1.0; // placeholder: redone by tail() below (r = 0, NaN or subnormal)
      }
      long bits = Double.doubleToRawLongBits(r);
      int ex = (int) (bits >>> 52) - 1023;
      double mm = Double.longBitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
      // m > sqrt2 ? (m / 2, e + 1) : (m, e), without a branch (both positive: compare bits as integers)
      int big = (int) ((SQRT2_BITS - Double.doubleToRawLongBits(mm)) >>> 63);
      mm *= 1.0 - 0.5 * big;
      ex += big;
      double f = mm - 1.0;
      double sv = f / (2.0 + f);
      s[i] = sv;
      s2[i] = sv * sv;
      e[i] = ex;
    }
    // log(r) by its atanh series (DetMath.log's operations) and sqrt(-log r) in one pass, AS 241's rational in
    // sqrt(-log r) - 1.6 in another, the sign in a third: each pass keeps an element's Horner chains in registers
    // and runs across elements, which the JIT vectorises (a pass per coefficient read and wrote the arrays
    // once per step; one pass for everything, or the sign within the rational's, does not vectorise).
    for (int i = 0; i < m; i++) {
      double x2 = s2[i];
      double a = DetMath.T11;
      a = a * x2 + DetMath.T10;
      a = a * x2 + DetMath.T9;
      a = a * x2 + DetMath.T8;
      a = a * x2 + DetMath.T7;
      a = a * x2 + DetMath.T6;
      a = a * x2 + DetMath.T5;
      a = a * x2 + DetMath.T4;
      a = a * x2 + DetMath.T3;
      a = a * x2 + DetMath.T2;
      a = a * x2 + DetMath.T1;
      a = a * x2 + DetMath.T0;
      double ei = e[i];
      double l = ei * DetMath.LN2_HI + (ei * DetMath.LN2_LO + 2.0 * s[i] * a);
      double rv = Math.sqrt(-l);
      e[i] = rv;
      s[i] = rv - 1.6; // the argument of the r <= 5 branch
    }
    double[] zt = s2;
    for (int i = 0; i < m; i++) {
      double w = s[i];
      double num = ((((((C7 * w + C6) * w + C5) * w + C4) * w + C3) * w + C2) * w + C1) * w + C0;
      double den = ((((((D7 * w + D6) * w + D5) * w + D4) * w + D3) * w + D2) * w + D1) * w + D0;
      zt[i] = num / den;
    }
    for (int i = 0; i < m; i++) {
      zt[i] = Math.copySign(zt[i], tp[i] - 0.5); // the quotient is positive (|z| > 1.43 here)
    }
    for (int i = 0; i < m; i++) {
      z[idx[i]] = zt[i];
    }
    for (int i = 0; i < m; i++) {
      double pk = tp[i];
      if (!(Math.min(pk, 1.0 - pk) >= Double.MIN_NORMAL) || !(e[i] <= 5.0)) {
        z[idx[i]] = tail(pk, pk - 0.5); // the far tail (p < 1.4e-11) and degenerate p: rare, one by one
      }
    }
  }


  private static double tail(double p, double q) {
    double r = q < 0 ? p : 1.0 - p;
    if (!(r > 0)) {
      return q < 0 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    r = Math.sqrt(-DetMath.log(r));
    double v;
    if (r <= 5.0) {
      r -= 1.6;
      v = horner(C, r) / horner(D, r);
    } else {
      r -= 5.0;
      v = horner(E, r) / horner(F, r);
    }
    return q < 0 ? -v : v;
  }

  private static double horner(double[] c, double r) {
    double v = c[7];
    for (int i = 6; i >= 0; i--) {
      v = v * r + c[i];
    }
    return v;
  }

  /** The density of N(0, 1). */
  public static double density(double x) {
    return INV_SQRT_2PI * DetMath.exp(-0.5 * (x * x));
  }

  /**
   * The distribution function of N(0, 1). Accurate to a small relative error for x &lt;= 0; callers that
   * need the upper tail use symmetry, {@code 1 - cdf(x) = cdf(-x)}.
   */
  public static double cdf(double x) {
    if (x != x) {
      return x;
    }
    if (x > 0) {
      return 1.0 - cdf(-x);
    }
    if (x < -40.0) {
      return 0.0;
    }
    if (x >= -3.0) {
      // Marsaglia: cdf(x) = 1/2 + density(x) * (x + x^3/3 + x^5/(3*5) + ...), 60 terms, left to right.
      double x2 = x * x;
      double term = x;
      double sum = x;
      for (int n = 1; n <= 60; n++) {
        term = term * x2 / (2 * n + 1);
        sum = sum + term;
      }
      return 0.5 + density(x) * sum;
    }
    // Mills ratio as a continued fraction, t = -x: cdf(x) = density(t) / (t + 1/(t + 2/(t + 3/(t + ...)))),
    // evaluated from the 200th level inwards.
    double t = -x;
    double cf = t;
    for (int n = 200; n >= 1; n--) {
      cf = t + n / cf;
    }
    return density(t) / cf;
  }
}
