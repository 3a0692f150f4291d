package dev.shardinit.rng;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleToIntFunction;

/**
 * A one-word-per-element sampler whose values are rounded to a 16-bit type, sped up by a table over the word's
 * top 16 bits.
 *
 * <p>The element value is {@code round(map(u(w)))} with {@code u} increasing in the word {@code w} and
 * {@code map} increasing in {@code u} (uniform, normal, truncated normal: all inversions). The words with the
 * same top 16 bits form a bucket; when the two ends of a bucket, widened by {@code margin} on each side, round
 * to the same 16-bit pattern, every word of the bucket does, and the table holds that pattern. Elements whose
 * bucket straddles a rounding boundary (a few per cent: bfloat16 has 256 values per binade, the buckets are
 * 65,536) are computed exactly, by the base sampler's own arithmetic. The result is bit for bit the base
 * sampler's value rounded; only the cost differs.
 *
 * <p>{@code margin} covers the float64 arithmetic of {@code map} not being exactly monotone: an absolute
 * bound on how far a computed value can stray from the exact function (for inversion by AS 241, a few ulps of
 * the largest value involved; callers pass a bound some thousand times larger).
 */
public final class Table16Sampler implements Sampler16 {
  /** Never the rounding of a finite value in either 16-bit type (a NaN pattern): marks a mixed bucket. */
  private static final char MIXED = 0xFFFF;
  private static final int BUCKETS = 1 << 16;
  private static final ConcurrentHashMap<String, char[]> TABLES = new ConcurrentHashMap<>();
  private static final int MAX_TABLES = 64;

  private final UnitSampler base;
  private final Stream stream;
  private final String key;
  private final DoubleToIntFunction round;
  private final double margin;
  private volatile char[] table;

  /**
   * @param key identifies map, round and margin (not the stream): tables are shared between samplers of
   *     equal keys in a JVM
   */
  Table16Sampler(UnitSampler base, Stream stream, String key, DoubleToIntFunction round, double margin) {
    this.base = base;
    this.stream = stream;
    this.key = key;
    this.round = round;
    this.margin = margin;
  }

  @Override
  public void sample(long start, int n, double[] out, Scratch scratch) {
    base.sample(start, n, out, scratch);
  }

  @Override
  public void sample16(long start, int n, short[] out, Scratch scratch) {
    char[] t = table();
    int[] words = scratch.words;
    stream.words(start, n, words, scratch.lanes);
    // Mixed elements are marked in a bitmap, a 64-bit word per 64 elements, built in a register: gathering
    // their indices here would chain every iteration to the previous one through the count, and scanning for
    // them afterwards costs a mispredicted branch per mixed element.
    long[] bits = scratch.mixed;
    int words64 = (n + 63) >>> 6;
    for (int wi = 0; wi < words64; wi++) {
      long word = 0;
      int from = wi << 6;
      int to = Math.min(n, from + 64);
      for (int k = from; k < to; k++) {
        char c = t[words[k] >>> 16];
        out[k] = (short) c;
        word |= (long) ((MIXED - c - 1) >>> 31) << (k - from); // 1 when c == MIXED, without a branch
      }
      bits[wi] = word;
    }
    int[] idx = scratch.idx16;
    int m = 0;
    for (int wi = 0; wi < words64; wi++) {
      for (long word = bits[wi]; word != 0; word &= word - 1) {
        idx[m++] = (wi << 6) + Long.numberOfTrailingZeros(word);
      }
    }
    if (m == 0) {
      return;
    }
    double[] u = scratch.u16;
    for (int i = 0; i < m; i++) {
      u[i] = Unit.of32(words[idx[i]]);
    }
    base.map(u, m, scratch);
    for (int i = 0; i < m; i++) {
      out[idx[i]] = (short) round.applyAsInt(u[i]);
    }
  }

  /** The table's pattern for word {@code w}, or -1 when its bucket is mixed (for verification). */
  public int tableBits(int w) {
    char c = table()[w >>> 16];
    return c == MIXED ? -1 : c;
  }

  /**
   * The exact patterns of the words {@code w[0..n-1]} ({@code n} at most {@link Sampler#CHUNK}), by the base
   * sampler's arithmetic (for verification).
   */
  public void exactBits(int[] w, int n, int[] out) {
    double[] u = new double[n];
    for (int i = 0; i < n; i++) {
      u[i] = Unit.of32(w[i]);
    }
    base.map(u, n, new Scratch());
    for (int i = 0; i < n; i++) {
      out[i] = round.applyAsInt(u[i]);
    }
  }

  /** The fraction of buckets that are mixed (computed exactly). */
  public double mixedFraction() {
    char[] t = table();
    int mixed = 0;
    for (char c : t) {
      mixed += c == MIXED ? 1 : 0;
    }
    return mixed / (double) BUCKETS;
  }

  private char[] table() {
    char[] t = table;
    if (t == null) {
      t = TABLES.get(key);
      if (t == null) {
        t = build();
        if (TABLES.size() >= MAX_TABLES) {
          TABLES.clear(); // a job with many distinct parameters: keep memory bounded, rebuild when needed
        }
        TABLES.put(key, t);
      }
      table = t;
    }
    return t;
  }

  private char[] build() {
    char[] t = new char[BUCKETS];
    Scratch s = new Scratch();
    double[] lo = new double[Sampler.CHUNK];
    double[] hi = new double[Sampler.CHUNK];
    for (int b0 = 0; b0 < BUCKETS; b0 += Sampler.CHUNK) {
      int n = Math.min(Sampler.CHUNK, BUCKETS - b0);
      for (int i = 0; i < n; i++) {
        int first = (b0 + i) << 16;
        lo[i] = Unit.of32(first);
        hi[i] = Unit.of32(first | 0xFFFF);
      }
      base.map(lo, n, s);
      base.map(hi, n, s);
      for (int i = 0; i < n; i++) {
        double a = Math.min(lo[i], hi[i]) - margin;
        double z = Math.max(lo[i], hi[i]) + margin;
        int ra = round.applyAsInt(a);
        boolean pure = a == a && z == z && !Double.isInfinite(a) && !Double.isInfinite(z)
            && ra == round.applyAsInt(z) && (char) ra != MIXED;
        t[b0 + i] = pure ? (char) ra : MIXED;
      }
    }
    return t;
  }
}
