package dev.shardinit.init;

import dev.shardinit.rng.Sampler;
import dev.shardinit.rng.Scratch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * A torch.nn.init function resolved for one tensor: the primitive sampler it reduces to, and the metadata
 * torch derives on the way (gain, fans, std or bound), plus any warning torch would give. Immutable;
 * {@link #fill} may be called from many threads and for any ranges, in any order.
 */
public final class Initializer {
  private final Target target;
  private final String fn;
  private final Map<String, Object> args;
  private final Sampler sampler;
  private final Double gain;
  private final Long fanIn;
  private final Long fanOut;
  private final Double std;
  private final Double bound;
  private final List<String> warnings;

  Initializer(Target target, String fn, Map<String, Object> args, Sampler sampler, Double gain, Double std,
      Double bound, List<String> warnings) {
    this.target = target;
    this.fn = fn;
    this.args = Collections.unmodifiableMap(new LinkedHashMap<>(args));
    this.sampler = target.numel() == 0 ? null : sampler;
    this.gain = gain;
    if (target.dims() >= 2) {
      long[] f = Fans.inOut(target.shape());
      this.fanIn = f[0];
      this.fanOut = f[1];
    } else {
      this.fanIn = null;
      this.fanOut = null;
    }
    this.std = std;
    this.bound = bound;
    this.warnings = List.copyOf(warnings);
  }

  public Target target() {
    return target;
  }

  /** The torch function name, with its trailing underscore: {@code kaiming_uniform_}. */
  public String fn() {
    return fn;
  }

  /** Every argument with the value in force, defaults included, in torch's order. */
  public Map<String, Object> args() {
    return args;
  }

  /** The gain used (calculate_gain's result for kaiming_*, the gain argument of xavier_* and orthogonal_). */
  public OptionalDouble gain() {
    return gain == null ? OptionalDouble.empty() : OptionalDouble.of(gain);
  }

  /** fan_in as torch computes it, for tensors of two or more dimensions. */
  public OptionalLong fanIn() {
    return fanIn == null ? OptionalLong.empty() : OptionalLong.of(fanIn);
  }

  public OptionalLong fanOut() {
    return fanOut == null ? OptionalLong.empty() : OptionalLong.of(fanOut);
  }

  /** The standard deviation of the normal family (normal_, trunc_normal_, *_normal_, sparse_). */
  public OptionalDouble std() {
    return std == null ? OptionalDouble.empty() : OptionalDouble.of(std);
  }

  /** The bound b of U(-b, b) for kaiming_uniform_ and xavier_uniform_. */
  public OptionalDouble bound() {
    return bound == null ? OptionalDouble.empty() : OptionalDouble.of(bound);
  }

  /** Warnings torch would issue (a zero-element tensor, a mean far from trunc_normal_'s interval). */
  public List<String> warnings() {
    return warnings;
  }

  /**
   * Writes elements {@code [start, end)} of the flattened tensor, little-endian in the tensor's dtype, at
   * {@code dst}'s position, and advances the position. The bytes are the same however a tensor's range is
   * split between calls.
   */
  public void fill(long start, long end, ByteBuffer dst) {
    if (start < 0 || end < start || end > target.numel()) {
      throw new IndexOutOfBoundsException(
          "range [" + start + ", " + end + ") outside tensor of " + target.numel() + " elements");
    }
    Dtype dt = target.dtype();
    long bytes = (end - start) * dt.bytes();
    if (bytes > dst.remaining()) {
      throw new IllegalArgumentException("buffer has " + dst.remaining() + " bytes left, range needs " + bytes);
    }
    ByteBuffer le = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int at = dst.position();
    double[] values = new double[Sampler.CHUNK];
    Scratch scratch = new Scratch();
    for (long i = start; i < end; i += Sampler.CHUNK) {
      int n = (int) Math.min(Sampler.CHUNK, end - i);
      sampler.sample(i, n, values, scratch);
      at = encode(dt, values, n, le, at);
    }
    dst.position(at);
  }

  /** Fills the whole tensor into a new little-endian buffer. */
  public ByteBuffer fillAll() {
    long bytes = target.numel() * target.dtype().bytes();
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(target + " does not fit one buffer: " + bytes + " bytes");
    }
    ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    fill(0, target.numel(), b);
    b.flip();
    return b;
  }

  private static int encode(Dtype dt, double[] v, int n, ByteBuffer le, int at) {
    switch (dt) {
      case FLOAT32:
        for (int k = 0; k < n; k++, at += 4) {
          le.putFloat(at, (float) v[k]);
        }
        return at;
      case FLOAT64:
        for (int k = 0; k < n; k++, at += 8) {
          le.putDouble(at, v[k]);
        }
        return at;
      default:
        for (int k = 0; k < n; k++, at += 2) {
          le.putShort(at, dt.bits16(v[k]));
        }
        return at;
    }
  }

  @Override
  public String toString() {
    return fn + args + " for " + target;
  }
}
