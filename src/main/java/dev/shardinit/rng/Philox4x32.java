package dev.shardinit.rng;

/**
 * Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random numbers:
 * as easy as 1, 2, 3" (SC'11).
 *
 * <p>A block is a pure function of a 128-bit counter {@code (c0, c1, c2, c3)} and a 64-bit key
 * {@code (k0, k1)}: ten rounds of two 32x32-&gt;64-bit multiplications, with the key bumped by the Weyl
 * constants between rounds. There is no state, so any block of any stream can be computed in any order,
 * which is what makes a tensor's bytes independent of how its range is cut up.
 */
public final class Philox4x32 {
  static final long M0 = 0xD2511F53L;
  static final long M1 = 0xCD9E8D57L;
  static final int W0 = 0x9E3779B9;
  static final int W1 = 0xBB67AE85;
  static final long MASK = 0xFFFFFFFFL;

  private Philox4x32() {}

  /** Computes one block and stores its four output words at {@code out[off..off+3]}. */
  public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out, int off) {
    for (int round = 0; round < 10; round++) {
      long p0 = (c0 & MASK) * M0;
      long p1 = (c2 & MASK) * M1;
      int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
      int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
      c1 = (int) p1;
      c3 = (int) p0;
      c0 = n0;
      c2 = n2;
      k0 += W0;
      k1 += W1;
    }
    out[off] = c0;
    out[off + 1] = c1;
    out[off + 2] = c2;
    out[off + 3] = c3;
  }

  /** The first output word of one block; used where a round function needs a single word. */
  public static int firstWord(int c0, int c1, int c2, int c3, int k0, int k1) {
    for (int round = 0; round < 10; round++) {
      long p0 = (c0 & MASK) * M0;
      long p1 = (c2 & MASK) * M1;
      int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
      int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
      c1 = (int) p1;
      c3 = (int) p0;
      c0 = n0;
      c2 = n2;
      k0 += W0;
      k1 += W1;
    }
    return c0;
  }
}
