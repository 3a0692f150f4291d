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
    int[] out = new int[4]; // does not escape: the JIT keeps it in registers
    block(c0, c1, c2, c3, k0, k1, out, 0);
    return out[0];
  }

  /**
   * Computes {@code n} consecutive blocks, counters {@code (lo32(b), hi32(b), c2, c3)} for b = first ..
   * first + n - 1, and stores block j's words at {@code out[off + 4j .. off + 4j + 3]}. Same bits as
   * {@link #block}; the rounds run across all blocks at once in 32-bit lanes, the high half of each product
   * assembled from 16-bit partial products, so that the JIT can vectorise them.
   *
   * @param lanes scratch: four arrays of at least {@code n} ints
   */
  public static void blocks(long first, int n, int c2, int c3, int k0, int k1, int[][] lanes, int[] out, int off) {
    final int[] x0 = lanes[0];
    final int[] x1 = lanes[1];
    final int[] x2 = lanes[2];
    final int[] x3 = lanes[3];
    for (int j = 0; j < n; j++) {
      long b = first + j;
      x0[j] = (int) b;
      x1[j] = (int) (b >>> 32);
      x2[j] = c2;
      x3[j] = c3;
    }
    final int m0 = (int) M0;
    final int m1 = (int) M1;
    final int m0h = m0 >>> 16;
    final int m0l = m0 & 0xFFFF;
    final int m1h = m1 >>> 16;
    final int m1l = m1 & 0xFFFF;
    int ka = k0;
    int kb = k1;
    for (int round = 0; round < 10; round++) {
      final int kra = ka;
      final int krb = kb;
      for (int j = 0; j < n; j++) {
        int a = x0[j];
        int c = x2[j];
        int ah = a >>> 16;
        int al = a & 0xFFFF;
        int ch = c >>> 16;
        int cl = c & 0xFFFF;
        int t0 = al * m0h;
        int t1 = ah * m0l;
        int hi0 = ah * m0h + (t0 >>> 16) + (t1 >>> 16)
            + (((al * m0l) >>> 16) + (t0 & 0xFFFF) + (t1 & 0xFFFF) >>> 16);
        int u0 = cl * m1h;
        int u1 = ch * m1l;
        int hi1 = ch * m1h + (u0 >>> 16) + (u1 >>> 16)
            + (((cl * m1l) >>> 16) + (u0 & 0xFFFF) + (u1 & 0xFFFF) >>> 16);
        int n0 = hi1 ^ x1[j] ^ kra;
        int n2 = hi0 ^ x3[j] ^ krb;
        x1[j] = c * m1;
        x3[j] = a * m0;
        x0[j] = n0;
        x2[j] = n2;
      }
      ka += W0;
      kb += W1;
    }
    for (int j = 0; j < n; j++) {
      int o = off + 4 * j;
      out[o] = x0[j];
      out[o + 1] = x1[j];
      out[o + 2] = x2[j];
      out[o + 3] = x3[j];
    }
  }
}
