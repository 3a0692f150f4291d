package dev.shardinit.rng;

/**
 * A sampler that can also give its values already rounded to a 16-bit type (bfloat16 or float16), with the
 * same bits as rounding {@link #sample}'s values, but cheaper.
 */
public interface Sampler16 extends Sampler {
  /** Stores the 16-bit patterns of elements {@code start .. start+n-1} in {@code out[0..n-1]}. */
  void sample16(long start, int n, short[] out, Scratch scratch);
}
