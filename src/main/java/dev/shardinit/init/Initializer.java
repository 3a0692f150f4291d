package dev.shardinit.init;

import dev.shardinit.rng.Sampler;
import dev.shardinit.rng.Sampler16;
import dev.shardinit.rng.Scratch;
import dev.shardinit.rng.ZeroedRange;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
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
  private final Long paddingIdx;

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
    this.paddingIdx = null;
  }

  private Initializer(Initializer base, long row) {
    this.target = base.target;
    this.fn = base.fn;
    this.args = base.args;
    long width = target.numel() / target.shape()[0];
    this.sampler = base.sampler == null ? null : ZeroedRange.of(base.sampler, row * width, (row + 1) * width);
    this.gain = base.gain;
    this.fanIn = base.fanIn;
    this.fanOut = base.fanOut;
    this.std = base.std;
    this.bound = base.bound;
    this.warnings = base.warnings;
    this.paddingIdx = row;
  }

  /**
   * This initializer followed by zeroing row {@code paddingIdx} of dimension 0, as nn.Embedding does to its
   * padding row after normal_ (and transformers' {@code _init_weights} after its own normal_). A negative index
   * counts from the end, as in torch; the manifest records the row it names.
   *
   * @throws InitException about {@code padding_idx} when the tensor has no dimension or the row is not in it
   */
  public Initializer withPaddingIdx(long paddingIdx) {
    if (this.paddingIdx != null) {
      throw new IllegalStateException("padding_idx already set");
    }
    if (target.dims() == 0) {
      throw InitException.argument("padding_idx", "padding_idx needs a tensor of at least one dimension, got a "
          + "0-D tensor");
    }
    long rows = target.shape()[0];
    if (paddingIdx >= rows || paddingIdx < -rows) {
      throw InitException.argument("padding_idx", "Padding_idx must be within num_embeddings: %d is not in [%d, %d) "
          + "(dimension 0 of the shape)", paddingIdx, -rows, rows);
    }
    return new Initializer(this, paddingIdx < 0 ? rows + paddingIdx : paddingIdx);
  }

  /** The row of dimension 0 set to zero after the init ({@link #withPaddingIdx}), if any; never negative. */
  public OptionalLong paddingIdx() {
    return paddingIdx == null ? OptionalLong.empty() : OptionalLong.of(paddingIdx);
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

  /** The primitive sampler this initializer reduces to (null for an empty tensor). */
  public Sampler sampler() {
    return sampler;
  }

  /**
   * Writes elements {@code [start, end)} of the flattened tensor, little-endian in the tensor's dtype, at
   * {@code dst}'s position, and advances the position. The bytes are the same however a tensor's range is
   * split between calls.
   */
  public void fill(long start, long end, ByteBuffer dst) {
    fill(start, end, dst, new Scratch());
  }

  /**
   * As {@link #fill(long, long, ByteBuffer)}, with the calling thread's working arrays: a caller that fills a
   * range in many calls allocates them once.
   */
  public void fill(long start, long end, ByteBuffer dst, Scratch scratch) {
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
    double[] values = new double[Sampler.CHUNK];
    // Values go out through a typed view of the destination in bulk: C2 vectorises the narrowing loops, and
    // the view's array put is one memory copy, where putFloat/putShort per value is neither.
    switch (dt) {
      case FLOAT32: {
        FloatBuffer view = le.asFloatBuffer();
        float[] f = new float[Sampler.CHUNK];
        for (long i = start; i < end; i += Sampler.CHUNK) {
          int n = (int) Math.min(Sampler.CHUNK, end - i);
          sampler.sample(i, n, values, scratch);
          for (int k = 0; k < n; k++) {
            f[k] = (float) values[k];
          }
          view.put(f, 0, n);
        }
        break;
      }
      case FLOAT64: {
        DoubleBuffer view = le.asDoubleBuffer();
        for (long i = start; i < end; i += Sampler.CHUNK) {
          int n = (int) Math.min(Sampler.CHUNK, end - i);
          sampler.sample(i, n, values, scratch);
          view.put(values, 0, n);
        }
        break;
      }
      default: {
        ShortBuffer view = le.asShortBuffer();
        short[] h = new short[Sampler.CHUNK];
        Sampler16 direct = sampler instanceof Sampler16 ? (Sampler16) sampler : null;
        for (long i = start; i < end; i += Sampler.CHUNK) {
          int n = (int) Math.min(Sampler.CHUNK, end - i);
          if (direct != null) {
            direct.sample16(i, n, h, scratch);
          } else {
            sampler.sample(i, n, values, scratch);
            dt.bits16(values, h, n);
          }
          view.put(h, 0, n);
        }
        break;
      }
    }
    dst.position(Math.toIntExact(dst.position() + bytes));
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

  @Override
  public String toString() {
    return fn + args + (paddingIdx == null ? "" : " padding_idx=" + paddingIdx) + " for " + target;
  }
}
