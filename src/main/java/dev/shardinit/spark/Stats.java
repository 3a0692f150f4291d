package dev.shardinit.spark;

import dev.shardinit.init.Dtype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/** CRC-32C and min/max/mean/std of a buffer of raw little-endian values. */
final class Stats {
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
    int n = le.remaining() / dt.bytes();
    int base = le.position();
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double mean = 0;
    double m2 = 0;
    for (int i = 0; i < n; i++) {
      double v = dt.get(le, base + i * dt.bytes());
      min = Math.min(min, v);
      max = Math.max(max, v);
      double d = v - mean; // Welford, in element order
      mean += d / (i + 1);
      m2 += d * (v - mean);
    }
    double std = n > 0 ? Math.sqrt(m2 / n) : 0.0;
    return new Stats((int) crc.getValue(), n > 0 ? min : 0.0, n > 0 ? max : 0.0, mean, std);
  }
}
