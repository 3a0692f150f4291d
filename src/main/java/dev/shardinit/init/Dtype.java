package dev.shardinit.init;

import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * The element types a tensor can have. Every value is computed in float64 and rounded once, to nearest with
 * ties to even, to the element type; bfloat16 and float16 are rounded straight from float64, never through
 * float32, so no value is rounded twice.
 */
public enum Dtype {
  FLOAT32("float32", 4, 24, -126, Float.MAX_VALUE),
  FLOAT64("float64", 8, 53, -1022, Double.MAX_VALUE),
  BFLOAT16("bfloat16", 2, 8, -126, 0x1.FEp127),
  FLOAT16("float16", 2, 11, -14, 65504.0);

  private final String id;
  private final int bytes;
  private final int precision;
  private final int minExponent;
  private final double max;

  Dtype(String id, int bytes, int precision, int minExponent, double max) {
    this.id = id;
    this.bytes = bytes;
    this.precision = precision;
    this.minExponent = minExponent;
    this.max = max;
  }

  /** The name used in specs, manifests and messages: float32, float64, bfloat16 or float16. */
  public String id() {
    return id;
  }

  public int bytes() {
    return bytes;
  }

  /** The largest finite value. */
  public double max() {
    return max;
  }

  /** True where one element draws 64 random bits (float64) rather than 32. */
  public boolean wide() {
    return this == FLOAT64;
  }

  /** Parses a dtype name; accepts the torch spellings with or without a {@code torch.} prefix. */
  public static Dtype parse(String s) {
    String k = s.trim().toLowerCase(Locale.ROOT);
    if (k.startsWith("torch.")) {
      k = k.substring(6);
    }
    switch (k) {
      case "float32": case "float": case "fp32": return FLOAT32;
      case "float64": case "double": case "fp64": return FLOAT64;
      case "bfloat16": case "bf16": return BFLOAT16;
      case "float16": case "half": case "fp16": return FLOAT16;
      default:
        throw new IllegalArgumentException(
            "unknown dtype '" + s + "'; use one of float32, float64, bfloat16, float16");
    }
  }

  /**
   * {@code x} rounded to the nearest value of this type, ties to even, returned as a double (exactly).
   * Overflow gives an infinity; NaN stays NaN.
   */
  public double round(double x) {
    if (this == FLOAT64 || x != x || x == 0) {
      return x;
    }
    if (this == FLOAT32) {
      return (float) x;
    }
    double a = Math.abs(x);
    if (Double.isInfinite(a)) {
      return x;
    }
    int e = Math.max(Math.getExponent(a), minExponent);
    double ulp = Math.scalb(1.0, e - precision + 1);
    double r = Math.rint(a / ulp) * ulp;
    if (r > max) {
      r = Double.POSITIVE_INFINITY;
    }
    return Math.copySign(r, x);
  }

  /** The smallest value of this type that is {@code >= x} (x finite). */
  public double ceil(double x) {
    double r = round(x);
    return r >= x ? r : nextUp(r);
  }

  /** The largest value of this type that is {@code <= x} (x finite). */
  public double floor(double x) {
    double r = round(x);
    return r <= x ? r : -nextUp(-r);
  }

  /** The next value of this type above {@code r}, which must be a value of this type. */
  public double nextUp(double r) {
    switch (this) {
      case FLOAT64: return Math.nextUp(r);
      case FLOAT32: return Math.nextUp((float) r);
      default: {
        if (r == 0) {
          return decode16(1);
        }
        if (r < 0) {
          return -decode16(bits16(-r) - 1);
        }
        return decode16(bits16(r) + 1);
      }
    }
  }

  /** The 16-bit pattern of {@code x} in bfloat16 or float16 (after rounding). */
  public short bits16(double x) {
    // Fast path for the normal range: round to nearest even on the float64 bits directly (add half an ulp
    // of the target minus one, plus the kept lsb, then truncate); a carry moves into the exponent as it
    // should. Same result as bits16Exact, which handles the rest.
    long b = Double.doubleToRawLongBits(x);
    long mag = b & 0x7FFFFFFFFFFFFFFFL;
    if (this == BFLOAT16) {
      if (mag >= 0x3810000000000000L && mag < 0x47E0000000000000L) { // 2^-126 <= |x| < 2^127
        long r = b + 0x00000FFFFFFFFFFFL + ((b >>> 45) & 1);
        return (short) (Float.floatToRawIntBits((float) Double.longBitsToDouble(r & ~0x00001FFFFFFFFFFFL)) >>> 16);
      }
    } else if (this == FLOAT16) {
      if (mag >= 0x3F10000000000000L && mag < 0x40E0000000000000L) { // 2^-14 <= |x| < 2^15
        long r = b + 0x000001FFFFFFFFFFL + ((b >>> 42) & 1);
        int exp = (int) ((r >>> 52) & 0x7FF) - 1023 + 15;
        int frac = (int) ((r >>> 42) & 0x3FF);
        return (short) ((int) (b >>> 48) & 0x8000 | exp << 10 | frac);
      }
    }
    return bits16Exact(x);
  }

  /** {@code out[k] = bits16(v[k])} for k &lt; n. */
  public void bits16(double[] v, short[] out, int n) {
    for (int k = 0; k < n; k++) {
      out[k] = bits16(v[k]);
    }
  }

  /** bits16 by the definition of docs/RNG.md §6 (rint on the scaled value), for every input. */
  short bits16Exact(double x) {
    double r = round(x);
    if (this == BFLOAT16) {
      return (short) (Float.floatToRawIntBits((float) r) >>> 16);
    }
    if (this != FLOAT16) {
      throw new IllegalStateException(id + " is not a 16-bit type");
    }
    int sign = (Double.doubleToRawLongBits(r) >>> 63) != 0 ? 0x8000 : 0;
    double a = Math.abs(r);
    if (a != a) {
      return (short) 0x7E00;
    }
    if (a == Double.POSITIVE_INFINITY) {
      return (short) (sign | 0x7C00);
    }
    if (a < 0x1.0p-14) {
      return (short) (sign | (int) (a * 0x1.0p24));
    }
    int e = Math.getExponent(a);
    int m = (int) (a * Math.scalb(1.0, 10 - e)) - 1024;
    return (short) (sign | (e + 15) << 10 | m);
  }

  /** The value of a 16-bit pattern of this type. */
  public double decode16(int bits) {
    bits &= 0xFFFF;
    if (this == BFLOAT16) {
      return Float.intBitsToFloat(bits << 16);
    }
    double sign = (bits & 0x8000) != 0 ? -1.0 : 1.0;
    int e = (bits >>> 10) & 0x1F;
    int m = bits & 0x3FF;
    if (e == 0x1F) {
      return m == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
    }
    if (e == 0) {
      return sign * m * 0x1.0p-24;
    }
    return sign * (1024 + m) * Math.scalb(1.0, e - 25);
  }

  /** Writes {@code x}, rounded to this type, little-endian at byte index {@code at} of {@code buf}. */
  public void put(ByteBuffer buf, int at, double x) {
    switch (this) {
      case FLOAT32: buf.putFloat(at, (float) x); break;
      case FLOAT64: buf.putDouble(at, x); break;
      default: buf.putShort(at, bits16(x)); break;
    }
  }

  /** Reads the element at byte index {@code at} of a little-endian buffer, as a double. */
  public double get(ByteBuffer buf, int at) {
    switch (this) {
      case FLOAT32: return buf.getFloat(at);
      case FLOAT64: return buf.getDouble(at);
      default: return decode16(buf.getShort(at));
    }
  }

  @Override
  public String toString() {
    return id;
  }
}
