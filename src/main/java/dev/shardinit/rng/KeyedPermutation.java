package dev.shardinit.rng;

/**
 * A keyed pseudo-random permutation of {@code [0, n)}, one for each column (tweak), computed element by
 * element: a balanced six-round Feistel network on {@code 2h} bits, {@code 2^(2h) >= n}, with cycle walking
 * to stay inside {@code [0, n)}. The round function is the first word of a Philox block of the stream's
 * key, so the permutation of column c is a pure function of (stream, n, c) and never needs the column in one
 * place.
 */
public final class KeyedPermutation {
  static final int ROUNDS = 6;

  private final Stream stream;
  private final long n;
  private final int half;
  private final long mask;

  public KeyedPermutation(Stream stream, long n) {
    if (n < 1) {
      throw new IllegalArgumentException("permutation size must be positive, got " + n);
    }
    this.stream = stream;
    this.n = n;
    this.half = halfBits(n);
    this.mask = (1L << half) - 1;
  }

  /** Half the Feistel width: the smallest h &gt;= 1 with 2^(2h) &gt;= n. */
  static int halfBits(long n) {
    int bits = 64 - Long.numberOfLeadingZeros(n - 1); // ceil(log2 n), 0 for n = 1
    return Math.max(1, (bits + 1) / 2);
  }

  /** The image of {@code x} in {@code [0, n)} under the permutation of column {@code tweak}. */
  public long apply(long x, long tweak) {
    long y = x;
    do {
      y = encrypt(y, tweak);
    } while (Long.compareUnsigned(y, n) >= 0);
    return y;
  }

  private long encrypt(long x, long tweak) {
    long left = x >>> half;
    long right = x & mask;
    for (int round = 0; round < ROUNDS; round++) {
      long f = stream.tweaked((int) right, round, tweak) & 0xFFFFFFFFL & mask;
      long next = left ^ f;
      left = right;
      right = next;
    }
    return (left << half) | right;
  }
}
