package dev.shardinit.rng;

/**
 * Base of the samplers that map one uniform per element: element i takes word i of its stream (32-bit
 * dtypes) or words 2i and 2i+1 (float64), turns it into u in (0, 1) with {@link Unit}, then {@link #map}s it.
 */
abstract class UnitSampler implements Sampler {
  final Stream stream;
  final boolean wide;

  UnitSampler(Stream stream, boolean wide) {
    this.stream = stream;
    this.wide = wide;
  }

  @Override
  public final void sample(long start, int n, double[] out, Scratch scratch) {
    int[] words = scratch.words;
    if (wide) {
      stream.words(2 * start, 2 * n, words, scratch.lanes);
      for (int k = 0; k < n; k++) {
        out[k] = Unit.of64(words[2 * k], words[2 * k + 1]);
      }
    } else {
      stream.words(start, n, words, scratch.lanes);
      for (int k = 0; k < n; k++) {
        out[k] = Unit.of32(words[k]);
      }
    }
    map(out, n, scratch);
  }

  /** Replaces each uniform {@code u[k]}, k &lt; n, by the element value. */
  abstract void map(double[] u, int n, Scratch scratch);
}
