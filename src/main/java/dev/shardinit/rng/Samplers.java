package dev.shardinit.rng;

/** Factories of the primitive samplers that the fifteen torch.nn.init functions resolve to. */
public final class Samplers {
  private Samplers() {}

  /** {@code lo + (hi - lo) * u}. */
  public static Sampler uniform(Stream s, boolean wide, double lo, double hi) {
    final double width = hi - lo;
    return new UnitSampler(s, wide) {
      @Override
      void map(double[] u, int n, Scratch scratch) {
        for (int k = 0; k < n; k++) {
          u[k] = lo + width * u[k];
        }
      }
    };
  }

  /** {@code mean + std * quantile(u)}. */
  public static Sampler normal(Stream s, boolean wide, double mean, double std) {
    return new UnitSampler(s, wide) {
      @Override
      void map(double[] u, int n, Scratch scratch) {
        double[] z = scratch.values;
        Gaussian.quantiles(u, z, n, scratch);
        for (int k = 0; k < n; k++) {
          u[k] = mean + std * z[k];
        }
      }
    };
  }

  /**
   * N(mean, std) conditioned on [a, b], by inversion: with alpha = (a - mean) / std and beta = (b - mean) / std,
   * reflected to (-beta, -alpha) when alpha + beta &gt; 0 so that the interval's far tail is the lower one,
   * {@code z = quantile(cdf(lo) + u * (cdf(hi) - cdf(lo)))} clamped to [lo, hi], and
   * {@code x = mean + std * z} clamped to [keepLo, keepHi], the range of dtype values inside [a, b].
   */
  public static Sampler truncNormal(Stream s, boolean wide, double mean, double std, double a, double b,
      double keepLo, double keepHi) {
    double alpha = (a - mean) / std;
    double beta = (b - mean) / std;
    final boolean flip = alpha + beta > 0;
    final double lo = flip ? -beta : alpha;
    final double hi = flip ? -alpha : beta;
    final double pLo = Gaussian.cdf(lo);
    final double dp = Gaussian.cdf(hi) - pLo;
    return new UnitSampler(s, wide) {
      @Override
      void map(double[] u, int n, Scratch scratch) {
        double[] zs = scratch.values;
        for (int k = 0; k < n; k++) {
          u[k] = pLo + u[k] * dp;
        }
        Gaussian.quantiles(u, zs, n, scratch);
        for (int k = 0; k < n; k++) {
          double z = zs[k];
          if (z < lo) {
            z = lo;
          } else if (z > hi) {
            z = hi;
          }
          if (flip) {
            z = -z;
          }
          double x = mean + std * z;
          if (x < keepLo) {
            x = keepLo;
          } else if (x > keepHi) {
            x = keepHi;
          }
          u[k] = x;
        }
      }
    };
  }

  /**
   * {@code base} with a 16-bit fast path ({@link Sampler16}, via {@link Table16Sampler}) when it maps one word
   * per element through an increasing or decreasing function of u; otherwise {@code base} itself.
   *
   * @param key identifies the map's parameters, {@code round} and {@code margin}; equal keys share a table
   * @param round the 16-bit pattern (in the low 16 bits) of a float64 value
   * @param margin an absolute bound on the non-monotonicity of the map's float64 arithmetic
   */
  public static Sampler rounded16(Sampler base, String key, java.util.function.DoubleToIntFunction round,
      double margin) {
    if (base instanceof UnitSampler && !((UnitSampler) base).wide) {
      UnitSampler u = (UnitSampler) base;
      return new Table16Sampler(u, u.stream, key, round, margin);
    }
    return base;
  }

  /** Every element equal to {@code value}. */
  public static Sampler constant(double value) {
    return (start, n, out, scratch) -> java.util.Arrays.fill(out, 0, n, value);
  }

  /** The rows x cols identity (eye_): 1 where row == column. */
  public static Sampler eye(long cols) {
    return (start, n, out, scratch) -> {
      for (int k = 0; k < n; k++) {
        long i = start + k;
        out[k] = i / cols == i % cols ? 1.0 : 0.0;
      }
    };
  }

  /**
   * dirac_: 1 at {@code [g * outPerGroup + d, d, centre...]} for each group g and d &lt; min(outPerGroup,
   * shape[1]), the centre being index k // 2 of each spatial dimension k; 0 elsewhere.
   */
  public static Sampler dirac(long[] shape, long groups) {
    final long outPerGroup = shape[0] / groups;
    long spatial = 1;
    long centre = 0;
    for (int i = 2; i < shape.length; i++) {
      spatial *= shape[i];
      centre = centre * shape[i] + shape[i] / 2;
    }
    final long kernel = spatial;
    final long centreOffset = centre;
    final long in = shape[1];
    return (start, n, out, scratch) -> {
      for (int k = 0; k < n; k++) {
        long i = start + k;
        long sp = i % kernel;
        long rest = i / kernel;
        long ci = rest % in;
        long co = rest / in;
        out[k] = sp == centreOffset && co % outPerGroup == ci ? 1.0 : 0.0;
      }
    };
  }

  /**
   * sparse_: N(0, std) from the values stream, except that element (r, c) of the rows x cols matrix is 0 when
   * the column's permutation maps r below {@code zeros}, which zeroes exactly {@code zeros} rows of each
   * column.
   */
  public static Sampler sparse(Stream values, Stream perms, boolean wide, long rows, long cols, long zeros,
      double std) {
    final Sampler normal = normal(values, wide, 0.0, std);
    final KeyedPermutation perm = new KeyedPermutation(perms, rows);
    return (start, n, out, scratch) -> {
      normal.sample(start, n, out, scratch);
      if (zeros == 0) {
        return;
      }
      for (int k = 0; k < n; k++) {
        long i = start + k;
        if (perm.apply(i / cols, i % cols) < zeros) {
          out[k] = 0.0;
        }
      }
    };
  }
}
