package dev.shardinit.spark;

import dev.shardinit.init.Dtype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * CRC-32C and min/max/mean/std of a buffer of raw little-endian values. One pass, chunk by chunk: values are
 * decoded into a double array, then summed with four independent accumulators, shifted by the first value
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
    int base = le.position();
    double shift = dt.get(le, base);
    double[] v = new double[CHUNK];
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    double q0 = 0, q1 = 0, q2 = 0, q3 = 0;
    double lo0 = Double.POSITIVE_INFINITY, lo1 = lo0, hi0 = Double.NEGATIVE_INFINITY, hi1 = hi0;
    for (int at = 0; at < n; at += CHUNK) {
      int m = Math.min(CHUNK, n - at);
      decode(le, base + at * width, dt, v, m);
      int k = 0;
      for (; k + 4 <= m; k += 4) {
        double a = v[k] - shift;
        double b = v[k + 1] - shift;
        double c = v[k + 2] - shift;
        double d = v[k + 3] - shift;
        s0 += a;
        s1 += b;
        s2 += c;
        s3 += d;
        q0 += a * a;
        q1 += b * b;
        q2 += c * c;
        q3 += d * d;
        lo0 = Math.min(lo0, Math.min(v[k], v[k + 1]));
        lo1 = Math.min(lo1, Math.min(v[k + 2], v[k + 3]));
        hi0 = Math.max(hi0, Math.max(v[k], v[k + 1]));
        hi1 = Math.max(hi1, Math.max(v[k + 2], v[k + 3]));
      }
      for (; k < m; k++) {
        double a = v[k] - shift;
        s0 += a;
        q0 += a * a;
        lo0 = Math.min(lo0, v[k]);
        hi0 = Math.max(hi0, v[k]);
      }
    }
    double sum = (s0 + s1) + (s2 + s3);
    double sq = (q0 + q1) + (q2 + q3);
    double meanShifted = sum / n;
    double var = Math.max(0.0, sq / n - meanShifted * meanShifted);
    return new Stats((int) crc.getValue(), Math.min(lo0, lo1), Math.max(hi0, hi1), shift + meanShifted,
        Math.sqrt(var));
  }

  private static void decode(ByteBuffer le, int at, Dtype dt, double[] v, int m) {
    switch (dt) {
      case FLOAT32:
        for (int k = 0; k < m; k++) {
          v[k] = le.getFloat(at + 4 * k);
        }
        break;
      case FLOAT64:
        for (int k = 0; k < m; k++) {
          v[k] = le.getDouble(at + 8 * k);
        }
        break;
      case BFLOAT16:
        for (int k = 0; k < m; k++) {
          v[k] = Float.intBitsToFloat((le.getShort(at + 2 * k) & 0xFFFF) << 16);
        }
        break;
      default:
        for (int k = 0; k < m; k++) {
          v[k] = HALF[le.getShort(at + 2 * k) & 0xFFFF];
        }
        break;
    }
  }
}
