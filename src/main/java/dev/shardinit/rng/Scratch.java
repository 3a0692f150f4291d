package dev.shardinit.rng;

/**
 * Working arrays of one filling thread, allocated once per fill call and passed down, so the hot loops
 * neither allocate nor look anything up.
 */
public final class Scratch {
  /** Philox words: two per element for float64. */
  final int[] words = new int[2 * Sampler.CHUNK];
  /** The counter lanes of {@link Philox4x32#blocks}. */
  final Philox4x32.Lanes lanes = new Philox4x32.Lanes(Stream.BULK);
  /** A second array of values (quantiles, before the affine map). */
  final double[] values = new double[Sampler.CHUNK];
  /** The quantile's tail passes. */
  final int[] idx = new int[Sampler.CHUNK];
  final double[] tp = new double[Sampler.CHUNK];
  final double[] a = new double[Sampler.CHUNK];
  final double[] b = new double[Sampler.CHUNK];
  final double[] c = new double[Sampler.CHUNK];
  /** The elements {@link Table16Sampler} computes exactly, and their uniforms. */
  final int[] idx16 = new int[Sampler.CHUNK];
  final double[] u16 = new double[Sampler.CHUNK];
  /** A bit per element: which of them {@link Table16Sampler} computes exactly. */
  final long[] mixed = new long[Sampler.CHUNK / 64];
}
