package dev.shardinit.task;

import dev.shardinit.init.Dtype;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.zip.CRC32C;

/**
 * CRC-32C and min/max/mean/std of a shard's raw little-endian values, accumulated slice by slice as the shard
 * is filled ({@link Accumulator}), so the values are read while they are still in the cache.
 *
 * <p>32- and 64-bit values: element i of the shard goes to slot {@code i mod SLOTS}; each slot keeps a sum and
 * a sum of squares of the values shifted by the first value (so a large mean does not cancel the variance), a
 * minimum and a maximum, and the slots are combined in order at the end. The loops run across slots, which
 * the JIT vectorises. 16-bit values: a count per bit pattern (65,536 of them), from which the figures are
 * computed at the end, exactly in the counts; one increment per value is cheaper than decoding it. Either
 * way the figures depend only on the values, not on how they were cut into slices.
 */
final class Stats {
  private static final int SLOTS = 4096;

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
    Accumulator a = new Accumulator(dt);
    a.add(values);
    return a.result();
  }

  /** Statistics of consecutive slices of values, added in order. */
  static final class Accumulator {
    private final Dtype dt;
    private final CRC32C crc = new CRC32C();
    // 32- and 64-bit types: the slots, and the values being added
    private final double[] sum;
    private final double[] squares;
    private final double[] lo; // float64
    private final double[] hi;
    private final float[] flo; // float32: min/max taken on the floats (widening keeps their order)
    private final float[] fhi;
    private final double[] v;
    private final float[] f;
    // 16-bit types: the values being added, and how many values have each bit pattern
    private final short[] h;
    private final int[] patterns;
    private double shift;
    private long count;

    Accumulator(Dtype dt) {
      this.dt = dt;
      boolean narrow = dt.bytes() == 2;
      this.sum = narrow ? null : new double[SLOTS];
      this.squares = narrow ? null : new double[SLOTS];
      this.lo = dt == Dtype.FLOAT64 ? new double[SLOTS] : null;
      this.hi = dt == Dtype.FLOAT64 ? new double[SLOTS] : null;
      this.flo = dt == Dtype.FLOAT32 ? new float[SLOTS] : null;
      this.fhi = dt == Dtype.FLOAT32 ? new float[SLOTS] : null;
      this.v = narrow ? null : new double[SLOTS];
      this.f = dt == Dtype.FLOAT32 ? new float[SLOTS] : null;
      this.h = narrow ? new short[SLOTS] : null;
      this.patterns = narrow ? new int[1 << 16] : null; // a shard holds fewer than 2^31 values
      if (lo != null) {
        java.util.Arrays.fill(lo, Double.POSITIVE_INFINITY);
        java.util.Arrays.fill(hi, Double.NEGATIVE_INFINITY);
      }
      if (flo != null) {
        java.util.Arrays.fill(flo, Float.POSITIVE_INFINITY);
        java.util.Arrays.fill(fhi, Float.NEGATIVE_INFINITY);
      }
    }

    /** Adds the buffer's remaining bytes (whole values); its position is unchanged. */
    void add(ByteBuffer values) {
      crc.update(values.duplicate());
      ByteBuffer le = values.duplicate().order(ByteOrder.LITTLE_ENDIAN);
      int n = le.remaining() / dt.bytes();
      FloatBuffer floats = dt == Dtype.FLOAT32 ? le.asFloatBuffer() : null;
      DoubleBuffer doubles = dt == Dtype.FLOAT64 ? le.asDoubleBuffer() : null;
      ShortBuffer shorts = dt.bytes() == 2 ? le.asShortBuffer() : null;
      if (patterns != null) {
        for (int at = 0; at < n; at += SLOTS) {
          int m = Math.min(SLOTS, n - at);
          shorts.get(at, h, 0, m);
          for (int k = 0; k < m; k++) {
            patterns[h[k] & 0xFFFF]++;
          }
        }
        count += n;
        return;
      }
      for (int at = 0; at < n; ) {
        int slot = (int) (count % SLOTS);
        int m = Math.min(SLOTS - slot, n - at);
        decode(floats, doubles, at, slot, m);
        if (count == 0) {
          shift = v[0]; // slot 0
        }
        accumulate(slot, slot + m);
        at += m;
        count += m;
      }
    }

    /** Values {@code at .. at+m-1} of the slice into {@code v[slot .. slot+m-1]}. */
    private void decode(FloatBuffer floats, DoubleBuffer doubles, int at, int slot, int m) {
      int end = slot + m;
      switch (dt) {
        case FLOAT32:
          floats.get(at, f, slot, m);
          for (int k = slot; k < end; k++) {
            v[k] = f[k];
          }
          break;
        case FLOAT64:
          doubles.get(at, v, slot, m);
          break;
        default:
          throw new AssertionError(dt); // 16-bit types are counted by pattern
      }
    }

    /**
     * Adds {@code v[from .. to-1]} (and for float32 {@code f[from .. to-1]}) to their slots; one index for every
     * array, so the JIT vectorises it. A NaN makes its slot's min and max NaN.
     */
    private void accumulate(int from, int to) {
      double c = shift;
      double[] s = sum;
      double[] q = squares;
      double[] x = v;
      for (int k = from; k < to; k++) {
        double d = x[k] - c;
        s[k] += d;
        q[k] += d * d;
      }
      if (flo != null) {
        float[] a = flo;
        float[] b = fhi;
        float[] y = f;
        for (int k = from; k < to; k++) {
          a[k] = Math.min(a[k], y[k]);
          b[k] = Math.max(b[k], y[k]);
        }
      } else {
        double[] a = lo;
        double[] b = hi;
        for (int k = from; k < to; k++) {
          a[k] = Math.min(a[k], x[k]);
          b[k] = Math.max(b[k], x[k]);
        }
      }
    }

    Stats result() {
      int crc32c = (int) crc.getValue();
      if (count == 0) {
        return new Stats(crc32c, 0, 0, 0, 0);
      }
      if (patterns != null) {
        return fromPatterns(crc32c);
      }
      double s = 0;
      double q = 0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < SLOTS; k++) {
        s += sum[k];
        q += squares[k];
        min = Math.min(min, flo != null ? flo[k] : lo[k]);
        max = Math.max(max, flo != null ? fhi[k] : hi[k]);
      }
      double meanShifted = s / count;
      double var = Math.max(0.0, q / count - meanShifted * meanShifted);
      return new Stats(crc32c, min, max, shift + meanShifted, Math.sqrt(var));
    }

    /** The figures of 16-bit values from their pattern counts: two passes over the patterns. */
    private Stats fromPatterns(int crc32c) {
      double[] value = new double[1 << 16];
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double sum = 0;
      for (int b = 0; b < value.length; b++) {
        if (patterns[b] != 0) {
          double x = dt == Dtype.BFLOAT16 ? Float.intBitsToFloat(b << 16) : Dtype.FLOAT16.decode16(b);
          value[b] = x;
          min = Math.min(min, x); // a NaN makes min, max, mean and std NaN
          max = Math.max(max, x);
          sum += patterns[b] * x;
        }
      }
      double mean = sum / count;
      double squares = 0;
      for (int b = 0; b < value.length; b++) {
        if (patterns[b] != 0) {
          double d = value[b] - mean;
          squares += patterns[b] * (d * d);
        }
      }
      return new Stats(crc32c, min, max, mean, Math.sqrt(squares / count));
    }
  }
}
