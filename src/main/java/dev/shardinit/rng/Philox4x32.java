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
   * {@link #block}; the rounds run across all blocks at once, in whichever lane layout this CPU multiplies
   * fastest ({@link Lanes}).
   *
   * @param lanes scratch for at least {@code n} blocks
   */
  public static void blocks(long first, int n, int c2, int c3, int k0, int k1, Lanes lanes, int[] out, int off) {
    if (lanes.wide != null) {
      blocksWide(first, n, c2, c3, k0, k1, lanes.wide, out, off);
    } else {
      blocksNarrow(first, n, c2, c3, k0, k1, lanes.narrow, out, off);
    }
  }

  /**
   * {@link #blocks} with each 32-bit word in the low half of a {@code long} lane, so that the 32x32-&gt;64
   * products are plain 64-bit multiplications: the JIT vectorises them where the CPU multiplies 64-bit lanes
   * (AVX-512DQ); elsewhere it emulates them, and {@link #blocksNarrow} is faster.
   *
   * @param x four arrays of at least {@code n} longs
   */
  static void blocksWide(long first, int n, int c2, int c3, int k0, int k1, long[][] x, int[] out, int off) {
    final long[] x0 = x[0];
    final long[] x1 = x[1];
    final long[] x2 = x[2];
    final long[] x3 = x[3];
    final long c2u = c2 & MASK;
    final long c3u = c3 & MASK;
    for (int j = 0; j < n; j++) {
      long b = first + j;
      x0[j] = b & MASK;
      x1[j] = b >>> 32;
      x2[j] = c2u;
      x3[j] = c3u;
    }
    int ka = k0;
    int kb = k1;
    for (int round = 0; round < 10; round++) {
      final long kra = ka & MASK;
      final long krb = kb & MASK;
      for (int j = 0; j < n; j++) {
        long p0 = x0[j] * M0; // both factors below 2^32: the full 64-bit product, read unsigned
        long p1 = x2[j] * M1;
        long n0 = (p1 >>> 32) ^ x1[j] ^ kra;
        long n2 = (p0 >>> 32) ^ x3[j] ^ krb;
        x1[j] = p1 & MASK;
        x3[j] = p0 & MASK;
        x0[j] = n0;
        x2[j] = n2;
      }
      ka += W0;
      kb += W1;
    }
    for (int j = 0; j < n; j++) {
      int o = off + 4 * j;
      out[o] = (int) x0[j];
      out[o + 1] = (int) x1[j];
      out[o + 2] = (int) x2[j];
      out[o + 3] = (int) x3[j];
    }
  }

  private static final int M0_LO = (int) (M0 & 0xFFFF);
  private static final int M0_HI = (int) (M0 >>> 16);
  private static final int M1_LO = (int) (M1 & 0xFFFF);
  private static final int M1_HI = (int) (M1 >>> 16);

  /**
   * {@link #blocks} in 32-bit {@code int} lanes, twice as many per vector as {@link #blocksWide}: the high
   * half of each product is assembled from four 16x16-bit partial products (every partial sum stays below
   * 2^32), the low half is the plain 32-bit product. All of it vectorises with AVX2.
   *
   * @param x four arrays of at least {@code n} ints
   */
  static void blocksNarrow(long first, int n, int c2, int c3, int k0, int k1, int[][] x, int[] out, int off) {
    final int[] x0 = x[0];
    final int[] x1 = x[1];
    final int[] x2 = x[2];
    final int[] x3 = x[3];
    for (int j = 0; j < n; j++) {
      long b = first + j;
      x0[j] = (int) b;
      x1[j] = (int) (b >>> 32);
      x2[j] = c2;
      x3[j] = c3;
    }
    int ka = k0;
    int kb = k1;
    for (int round = 0; round < 10; round++) {
      final int kra = ka;
      final int krb = kb;
      for (int j = 0; j < n; j++) {
        int a = x0[j];
        int c = x2[j];
        // hi32(a * M0): a = ah:al, M0 = mh:ml in 16-bit halves
        int al = a & 0xFFFF;
        int ah = a >>> 16;
        int t = ah * M0_LO + ((al * M0_LO) >>> 16);
        int u = al * M0_HI + (t & 0xFFFF);
        int hi0 = ah * M0_HI + (t >>> 16) + (u >>> 16);
        int cl = c & 0xFFFF;
        int ch = c >>> 16;
        int v = ch * M1_LO + ((cl * M1_LO) >>> 16);
        int w = cl * M1_HI + (v & 0xFFFF);
        int hi1 = ch * M1_HI + (v >>> 16) + (w >>> 16);
        int n0 = hi1 ^ x1[j] ^ kra;
        int n2 = hi0 ^ x3[j] ^ krb;
        x1[j] = c * (int) M1;
        x3[j] = a * (int) M0;
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

  /**
   * Scratch of {@link #blocks} for up to {@code size} blocks, in the lane layout chosen for this JVM: 64-bit
   * lanes where the JIT emits AVX-512 (HotSpot's {@code UseAVX} of 3 or more), 32-bit lanes elsewhere. The
   * system property {@code shardinit.philox.lanes} ({@code wide} or {@code narrow}) overrides the choice,
   * for benchmarks. Either gives the same bits.
   */
  public static final class Lanes {
    static final boolean WIDE = chooseWide();

    final long[][] wide;
    final int[][] narrow;

    public Lanes(int size) {
      this.wide = WIDE ? new long[4][size] : null;
      this.narrow = WIDE ? null : new int[4][size];
    }

    private static boolean chooseWide() {
      String forced = System.getProperty("shardinit.philox.lanes", "");
      if (forced.equals("wide") || forced.equals("narrow")) {
        return forced.equals("wide");
      }
      try {
        com.sun.management.HotSpotDiagnosticMXBean vm = java.lang.management.ManagementFactory
            .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        return Integer.parseInt(vm.getVMOption("UseAVX").getValue()) >= 3;
      } catch (RuntimeException | LinkageError e) {
        return false; // not HotSpot, or not x86: 32-bit lanes are the portable choice
      }
    }
  }
}
