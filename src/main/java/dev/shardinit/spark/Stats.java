package dev.shardinit.spark;

import dev.shardinit.init.Dtype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.zip.CRC32C;

/**
 * CRC-32C and min/max/mean/std of a buffer of raw little-endian values. One pass, chunk by chunk: values are
 * decoded in bulk into a double array, then summed with four independent accumulators, shifted by the first value
 * so that a large mean does not cancel the variance. The order of operations is fixed, so the figures are
 * the same on every run.
 */
final class Stats {
  private static final int CHUNK = 4096;
  private static final double[] HALF = new double[1 << 16];

  static {
    for (int b = 0; b < HALF.length; b++) {
      HALF[b] = Dtype.FLOAT16.decode16(b);
    }
  }

  final int crc32c;
  final double min;
  final double max;
  final double mean;
  final double std;

  private Stats(int crc32c, double min, double max, double mean, double std) {
    this.crc32c = crc32c;
    this.min = min;
    this.max = max;
    this.mean = mean;
    this.std = std;
  }

  /** Over the buffer's remaining bytes; its position is unchanged. */
  static Stats of(ByteBuffer values, Dtype dt) {
    CRC32C crc = new CRC32C();
    crc.update(values.duplicate());
    ByteBuffer le = values.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int width = dt.bytes();
    int n = le.remaining() / width;
    if (n == 0) {
      return new Stats((int) crc.getValue(), 0, 0, 0, 0);
    }
    Decoder d = new Decoder(le, dt);
    double[] v = new double[CHUNK];
    d.decode(0, v, 1);
    double shift = v[0];
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    double q0 = 0, q1 = 0, q2 = 0, q3 = 0;
    // min/max by comparison, which NaNs never win; a NaN (or infinite) value makes the sum of squares NaN,
    // and min/max are then taken again below
    double lo0 = Double.POSITIVE_INFINITY, lo1 = lo0, lo2 = lo0, lo3 = lo0;
    double hi0 = Double.NEGATIVE_INFINITY, hi1 = hi0, hi2 = hi0, hi3 = hi0;
    for (int at = 0; at < n; at += CHUNK) {
      int m = Math.min(CHUNK, n - at);
      d.decode(at, v, m);
      int k = 0;
      for (; k + 4 <= m; k += 4) {
        double a = v[k] - shift;
        double b = v[k + 1] - shift;
        double c = v[k + 2] - shift;
        double e = v[k + 3] - shift;
        s0 += a;
        s1 += b;
        s2 += c;
        s3 += e;
        q0 += a * a;
        q1 += b * b;
        q2 += c * c;
        q3 += e * e;
        double x0 = v[k], x1 = v[k + 1], x2 = v[k + 2], x3 = v[k + 3];
        lo0 = x0 < lo0 ? x0 : lo0;
        lo1 = x1 < lo1 ? x1 : lo1;
        lo2 = x2 < lo2 ? x2 : lo2;
        lo3 = x3 < lo3 ? x3 : lo3;
        hi0 = x0 > hi0 ? x0 : hi0;
        hi1 = x1 > hi1 ? x1 : hi1;
        hi2 = x2 > hi2 ? x2 : hi2;
        hi3 = x3 > hi3 ? x3 : hi3;
      }
      for (; k < m; k++) {
        double a = v[k] - shift;
        s0 += a;
        q0 += a * a;
        lo0 = v[k] < lo0 ? v[k] : lo0;
        hi0 = v[k] > hi0 ? v[k] : hi0;
      }
    }
    double sum = (s0 + s1) + (s2 + s3);
    double sq = (q0 + q1) + (q2 + q3);
    double meanShifted = sum / n;
    double var = Math.max(0.0, sq / n - meanShifted * meanShifted);
    double lo = Math.min(Math.min(lo0, lo1), Math.min(lo2, lo3));
    double hi = Math.max(Math.max(hi0, hi1), Math.max(hi2, hi3));
    if (sq != sq) { // a NaN or infinite value: take min/max again as Math.min/max define them
      lo = Double.POSITIVE_INFINITY;
      hi = Double.NEGATIVE_INFINITY;
      for (int at = 0; at < n; at += CHUNK) {
        int m = Math.min(CHUNK, n - at);
        d.decode(at, v, m);
        for (int k = 0; k < m; k++) {
          lo = Math.min(lo, v[k]);
          hi = Math.max(hi, v[k]);
        }
      }
    }
    return new Stats((int) crc.getValue(), lo, hi, shift + meanShifted, Math.sqrt(var));
  }

  /** Values of the buffer as doubles, a chunk at a time, through typed views read in bulk. */
  private static final class Decoder {
    private final Dtype dt;
    private final FloatBuffer floats;
    private final DoubleBuffer doubles;
    private final ShortBuffer shorts;
    private final float[] f;
    private final short[] h;

    Decoder(ByteBuffer le, Dtype dt) {
      this.dt = dt;
      this.floats = dt == Dtype.FLOAT32 ? le.asFloatBuffer() : null;
      this.doubles = dt == Dtype.FLOAT64 ? le.asDoubleBuffer() : null;
      this.shorts = dt.bytes() == 2 ? le.asShortBuffer() : null;
      this.f = dt == Dtype.FLOAT32 ? new float[CHUNK] : null;
      this.h = dt.bytes() == 2 ? new short[CHUNK] : null;
    }

    /** Values {@code at .. at+m-1} into {@code v[0..m-1]}. */
    void decode(int at, double[] v, int m) {
      switch (dt) {
        case FLOAT32:
          floats.get(at, f, 0, m);
          for (int k = 0; k < m; k++) {
            v[k] = f[k];
          }
          break;
        case FLOAT64:
          doubles.get(at, v, 0, m);
          break;
        case BFLOAT16:
          shorts.get(at, h, 0, m);
          for (int k = 0; k < m; k++) {
            v[k] = Float.intBitsToFloat(h[k] << 16);
          }
          break;
        default:
          shorts.get(at, h, 0, m);
          for (int k = 0; k < m; k++) {
            v[k] = HALF[h[k] & 0xFFFF];
          }
          break;
      }
    }
  }
}
