package dev.shardinit.rng;

/**
 * A primitive sampler: the float64 value of every element of a flattened tensor, each a pure function of the
 * sampler's parameters and the element's index. Values are rounded to the tensor's dtype by the caller.
 */
public interface Sampler {
  /** Largest {@code n} a caller may pass. */
  int CHUNK = 2048;

  /**
   * Stores the values of elements {@code start .. start+n-1} in {@code out[0..n-1]}.
   *
   * @param scratch working arrays of the calling thread, contents undefined on entry and exit
   */
  void sample(long start, int n, double[] out, Scratch scratch);
}
