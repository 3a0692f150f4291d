package dev.shardinit.rng;

import java.util.Arrays;

/**
 * Another sampler's values with the elements {@code [from, to)} set to +0.0: what torch gives when a module
 * zeroes a slice after initialising the tensor (nn.Embedding's padding row). Every other element keeps the
 * value, and so the stream position, it has without the zeroing.
 */
public class ZeroedRange implements Sampler {
  private final Sampler inner;
  private final long from;
  private final long to;

  private ZeroedRange(Sampler inner, long from, long to) {
    this.inner = inner;
    this.from = from;
    this.to = to;
  }

  /** {@code inner} with elements {@code [from, to)} zero; a {@link Sampler16} when {@code inner} is one. */
  public static Sampler of(Sampler inner, long from, long to) {
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("bad range [" + from + ", " + to + ")");
    }
    return inner instanceof Sampler16 ? new Sixteen((Sampler16) inner, from, to) : new ZeroedRange(inner, from, to);
  }

  @Override
  public void sample(long start, int n, double[] out, Scratch scratch) {
    inner.sample(start, n, out, scratch);
    Arrays.fill(out, lo(start, n), hi(start, n), 0.0);
  }

  /** The first index of {@code [start, start + n)}'s slice of the zeroed range, relative to start. */
  int lo(long start, int n) {
    return (int) Math.max(0, Math.min(n, from - start));
  }

  /** The end of that slice (never below {@link #lo}). */
  int hi(long start, int n) {
    return Math.max(lo(start, n), (int) Math.max(0, Math.min(n, to - start)));
  }

  /** The 16-bit variant: +0.0 is the all-zero pattern in bfloat16 and float16 alike. */
  private static final class Sixteen extends ZeroedRange implements Sampler16 {
    private final Sampler16 inner16;

    Sixteen(Sampler16 inner, long from, long to) {
      super(inner, from, to);
      this.inner16 = inner;
    }

    @Override
    public void sample16(long start, int n, short[] out, Scratch scratch) {
      inner16.sample16(start, n, out, scratch);
      Arrays.fill(out, lo(start, n), hi(start, n), (short) 0);
    }
  }
}
