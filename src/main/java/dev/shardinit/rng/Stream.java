package dev.shardinit.rng;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * One keyed random stream: the Philox key {@code (k0, k1)} and the two high counter words
 * {@code (s0, s1)}, all taken from SHA-256 of the spec version tag, a domain, the seed and the tensor name.
 *
 * <p>Word {@code w} of the stream is word {@code w mod 4} of the Philox block with counter
 * {@code (lo32(w / 4), hi32(w / 4), s0, s1)}. Two tensors share words only if the first 128 bits of their
 * digests collide. The derivation is specified in docs/RNG.md; changing it changes every output bit.
 */
public final class Stream {
  /** The version of the random stream specification; part of every digest. */
  public static final String SPEC_VERSION = "1";

  private static final String TAG = "shardinit/rng/v" + SPEC_VERSION;

  /** The domain of the element values of every initializer. */
  public static final String VALUES = "values";
  /** The domain of the Gaussian matrix behind orthogonal_. */
  public static final String ORTHOGONAL = "orthogonal";
  /** The domain of the per-column permutations behind sparse_. */
  public static final String SPARSE = "sparse";

  /** Blocks computed together by {@link Philox4x32#blocks}. */
  static final int BULK = 256;

  final int k0;
  final int k1;
  final int s0;
  final int s1;

  Stream(int k0, int k1, int s0, int s1) {
    this.k0 = k0;
    this.k1 = k1;
    this.s0 = s0;
    this.s1 = s1;
  }

  /** Derives the stream of {@code domain} for the tensor {@code name} under {@code seed}. */
  public static Stream of(long seed, String name, String domain) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
    sha.update(TAG.getBytes(StandardCharsets.US_ASCII));
    sha.update((byte) 0);
    sha.update(domain.getBytes(StandardCharsets.US_ASCII));
    sha.update((byte) 0);
    for (int i = 0; i < 8; i++) {
      sha.update((byte) (seed >>> (8 * i)));
    }
    sha.update(name.getBytes(StandardCharsets.UTF_8));
    byte[] d = sha.digest();
    return new Stream(le32(d, 0), le32(d, 4), le32(d, 8), le32(d, 12));
  }

  private static int le32(byte[] b, int off) {
    return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
  }

  /** Stores words {@code first .. first+n-1} of this stream in {@code out[0..n-1]}. */
  public void words(long first, int n, int[] out) {
    words(first, n, out, new Philox4x32.Lanes(BULK));
  }

  /** As {@link #words(long, int, int[])}, with the caller's lane scratch (for {@link #BULK} blocks). */
  void words(long first, int n, int[] out, Philox4x32.Lanes lanes) {
    int[] blk = new int[4];
    long b = first >>> 2;
    int lane = (int) (first & 3);
    int o = 0;
    if (lane != 0) {
      Philox4x32.block((int) b, (int) (b >>> 32), s0, s1, k0, k1, blk, 0);
      while (lane < 4 && o < n) {
        out[o++] = blk[lane++];
      }
      b++;
    }
    int full = (n - o) >>> 2;
    if (full > 0) {
      for (int done = 0; done < full; ) {
        int m = Math.min(full - done, BULK);
        Philox4x32.blocks(b, m, s0, s1, k0, k1, lanes, out, o);
        o += 4 * m;
        b += m;
        done += m;
      }
    }
    if (o < n) {
      Philox4x32.block((int) b, (int) (b >>> 32), s0, s1, k0, k1, blk, 0);
      for (int l = 0; o < n; l++) {
        out[o++] = blk[l];
      }
    }
  }

  /**
   * The first word of the block {@code (c0, c1, s0 ^ lo32(tweak), s1 ^ hi32(tweak))}: a keyed pseudo-random
   * function of three inputs, used by the sparse_ permutations (tweak = column, c1 = round, c0 = half).
   */
  public int tweaked(int c0, int c1, long tweak) {
    return Philox4x32.firstWord(c0, c1, s0 ^ (int) tweak, s1 ^ (int) (tweak >>> 32), k0, k1);
  }

  @Override
  public String toString() {
    return String.format("Stream[k=%08x %08x, s=%08x %08x]", k0, k1, s0, s1);
  }
}
