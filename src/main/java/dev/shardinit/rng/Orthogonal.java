package dev.shardinit.rng;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * orthogonal_: the Q factor, with the signs of diag(R) folded in, of a Gaussian matrix, times the gain.
 *
 * <p>The tensor is viewed as G, rows x cols with cols = numel / rows; G's elements are N(0, 1) draws from the
 * orthogonal stream (64 bits each, whatever the output dtype). With A = G when rows &gt;= cols and A = G^T
 * otherwise (m x n, m &gt;= n), A is factorised by Householder reflections in float64 (LAPACK's dlarfg
 * convention, sums left to right), Q is accumulated backwards, each column k of Q is multiplied by the sign
 * of R[k][k] (+1 for 0), and element (r, c) of the output is gain * Q[r][c] (or Q[c][r] when transposed).
 * That Q is the unique one with a positive diagonal R, i.e. Haar-distributed, as torch's.
 *
 * <p>The whole matrix is built in one place; {@link #MAX_ELEMENTS} bounds it. The last few matrices are
 * cached, so filling a tensor range by range builds it once per JVM.
 */
public final class Orthogonal implements Sampler {
  /** The most elements a matrix built in one task may have (16 Mi: 128 MiB of float64). */
  public static final long MAX_ELEMENTS = 1L << 24;

  private static final int CACHE_ENTRIES = 2;
  private static final Map<String, double[][]> CACHE = new LinkedHashMap<>(4, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, double[][]> eldest) {
      return size() > CACHE_ENTRIES;
    }
  };

  private final Stream stream;
  private final long rows;
  private final long cols;
  private final double gain;

  public Orthogonal(Stream stream, long rows, long cols, double gain) {
    if (rows * cols > MAX_ELEMENTS) {
      throw new IllegalArgumentException("orthogonal matrix too large: " + rows + " x " + cols);
    }
    this.stream = stream;
    this.rows = rows;
    this.cols = cols;
    this.gain = gain;
  }

  @Override
  public void sample(long start, int n, double[] out, Scratch scratch) {
    double[][] q = matrix();
    boolean transposed = rows < cols;
    for (int k = 0; k < n; k++) {
      long i = start + k;
      int r = (int) (i / cols);
      int c = (int) (i % cols);
      // q holds Q column by column: Q is rows x cols (columns indexed by c), or cols x rows when transposed.
      out[k] = gain * (transposed ? q[r][c] : q[c][r]);
    }
  }

  private double[][] matrix() {
    String key = stream + "/" + rows + "x" + cols;
    synchronized (CACHE) {
      double[][] q = CACHE.get(key);
      if (q != null) {
        return q;
      }
    }
    double[][] q = build();
    synchronized (CACHE) {
      CACHE.put(key, q);
    }
    return q;
  }

  /** Q (columns of A's QR, signs applied) stored by column: result[j][i] = Q[i][j]. */
  double[][] build() {
    boolean transposed = rows < cols;
    int m = (int) (transposed ? cols : rows);
    int n = (int) (transposed ? rows : cols);
    double[][] a = new double[n][m];
    // Fill A from G = the first rows*cols draws of the stream, row-major.
    int chunk = Sampler.CHUNK;
    int[] words = new int[2 * chunk];
    Philox4x32.Lanes lanes = new Philox4x32.Lanes(Stream.BULK);
    long total = rows * cols;
    for (long i0 = 0; i0 < total; i0 += chunk) {
      int len = (int) Math.min(chunk, total - i0);
      stream.words(2 * i0, 2 * len, words, lanes);
      for (int k = 0; k < len; k++) {
        long i = i0 + k;
        int r = (int) (i / cols);
        int c = (int) (i % cols);
        double g = Gaussian.quantile(Unit.of64(words[2 * k], words[2 * k + 1]));
        if (transposed) {
          a[r][c] = g; // A[c][r], column r of A
        } else {
          a[c][r] = g; // A[r][c], column c of A
        }
      }
    }
    double[] tau = new double[n];
    double[] sign = new double[n];
    for (int k = 0; k < n; k++) {
      double[] col = a[k];
      double norm2 = 0;
      for (int i = k; i < m; i++) {
        norm2 += col[i] * col[i];
      }
      double norm = Math.sqrt(norm2);
      double alpha = col[k];
      if (norm == 0) {
        tau[k] = 0;
        sign[k] = 1;
        continue;
      }
      double beta = alpha >= 0 ? -norm : norm;
      tau[k] = (beta - alpha) / beta;
      double scale = 1.0 / (alpha - beta);
      for (int i = k + 1; i < m; i++) {
        col[i] *= scale;
      }
      col[k] = beta;
      sign[k] = beta > 0 ? 1.0 : -1.0;
      for (int j = k + 1; j < n; j++) {
        applyReflector(col, tau[k], a[j], k, m);
      }
    }
    // Backward accumulation of Q = H_0 ... H_{n-1} I[:, :n]; the reflectors' tails are still in a[k][k+1..].
    double[][] q = new double[n][m];
    for (int j = 0; j < n; j++) {
      q[j][j] = 1.0;
    }
    for (int k = n - 1; k >= 0; k--) {
      if (tau[k] == 0) {
        continue;
      }
      for (int j = k; j < n; j++) {
        applyReflector(a[k], tau[k], q[j], k, m);
      }
    }
    for (int j = 0; j < n; j++) {
      if (sign[j] < 0) {
        double[] col = q[j];
        for (int i = 0; i < m; i++) {
          col[i] = -col[i];
        }
      }
    }
    return q;
  }

  /**
   * y := (I - tau v v^T) y on rows k..m-1, where v = (1, v[k+1..m-1]): w = y[k] + sum v[i] y[i] (left to
   * right), then y[k] -= tau w and y[i] -= (tau w) v[i].
   */
  private static void applyReflector(double[] v, double tau, double[] y, int k, int m) {
    double w = y[k];
    for (int i = k + 1; i < m; i++) {
      w += v[i] * y[i];
    }
    double tw = tau * w;
    y[k] -= tw;
    for (int i = k + 1; i < m; i++) {
      y[i] -= tw * v[i];
    }
  }
}
