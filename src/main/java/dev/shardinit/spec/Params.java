package dev.shardinit.spec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensors a module preset stands for, in the order of torch's state_dict, each with the torch.nn.init call
 * its module's reset gives it. Shapes are multiplied exactly: a size that overflows 64 bits throws
 * ArithmeticException, which the entry reports.
 */
final class Params {
  /** The {@code a} torch's nn.Linear and _ConvNd pass to kaiming_uniform_: math.sqrt(5). */
  static final double SQRT5 = Math.sqrt(5.0);

  /** One tensor: its name after the module's prefix, its shape, and its init call. */
  static final class Param {
    final String suffix;
    final long[] shape;
    final String init;
    final Map<String, Double> args;
    Long paddingIdx;

    Param(String suffix, long[] shape, String init, Map<String, Double> args) {
      this.suffix = suffix;
      this.shape = shape;
      this.init = init;
      this.args = Collections.unmodifiableMap(args);
    }
  }

  /** Thrown when a module would give more tensors than the job has room for. */
  static final class TooMany extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooMany() {
      super(null, null, false, false);
    }
  }

  private final List<Param> list = new ArrayList<>();
  private final int room;

  /** At most {@code room} tensors: one more throws {@link TooMany} before it is made. */
  Params(int room) {
    this.room = room;
  }

  /** Throws {@link TooMany} unless {@code groups} groups of {@code each} more tensors fit, before any is made. */
  void reserve(long groups, int each) {
    if (groups > (room - list.size()) / each) {
      throw new TooMany();
    }
  }

  List<Param> list() {
    return list;
  }

  private Param add(String suffix, long[] shape, String init, Map<String, Double> args) {
    if (list.size() >= room) {
      throw new TooMany();
    }
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d); // the element count must fit, as in a tensor entry
    }
    Param p = new Param(suffix, shape.clone(), init, args);
    list.add(p);
    return p;
  }

  // ------------------------------------------------------------------------------- torch's reset rules

  /**
   * nn.Linear's and _ConvNd's weight: {@code kaiming_uniform_(w, a=math.sqrt(5))}, which is
   * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) up to rounding: gain = sqrt(2 / (1 + 5)), bound = sqrt(3) * gain /
   * sqrt(fan_in).
   */
  void kaimingUniformSqrt5(String suffix, long... shape) {
    add(suffix, shape, "kaiming_uniform_", Map.of("a", SQRT5));
  }

  /** {@code uniform_(t, -bound, bound)}. */
  void uniform(String suffix, double bound, long... shape) {
    Map<String, Double> ab = new LinkedHashMap<>();
    ab.put("a", 0.0 - bound);
    ab.put("b", bound);
    add(suffix, shape, "uniform_", ab);
  }

  /** {@code normal_(t)}: N(0, 1). */
  Param normal(String suffix, long... shape) {
    return add(suffix, shape, "normal_", Map.of());
  }

  /** {@code xavier_uniform_(t)} (gain 1): U(-b, b), b = sqrt(3) * sqrt(2 / (fan_in + fan_out)). */
  void xavierUniform(String suffix, long... shape) {
    add(suffix, shape, "xavier_uniform_", Map.of());
  }

  /** {@code xavier_normal_(t)} (gain 1): N(0, 2 / (fan_in + fan_out)). */
  void xavierNormal(String suffix, long... shape) {
    add(suffix, shape, "xavier_normal_", Map.of());
  }

  /** {@code ones_(t)}, or {@code fill_(1)}. */
  void ones(String suffix, long... shape) {
    add(suffix, shape, "ones_", Map.of());
  }

  /** {@code zeros_(t)}, {@code constant_(t, 0.0)} or {@code zero_()}. */
  void zeros(String suffix, long... shape) {
    add(suffix, shape, "zeros_", Map.of());
  }

  /**
   * The bias bound of nn.Linear and _ConvNd, {@code 1 / math.sqrt(fan_in) if fan_in > 0 else 0}, with fan_in
   * as {@code init._calculate_fan_in_and_fan_out} computes it from the weight's shape: shape[1] times the
   * product of shape[2:].
   */
  static double biasBound(long[] weightShape) {
    long fanIn = weightShape[1];
    for (int i = 2; i < weightShape.length; i++) {
      fanIn = Math.multiplyExact(fanIn, weightShape[i]);
    }
    return fanIn > 0 ? 1 / Math.sqrt((double) fanIn) : 0;
  }

  /** The shape {@code [a, b, *rest]}. */
  static long[] concat(long a, long b, long[] rest) {
    long[] s = new long[rest.length + 2];
    s[0] = a;
    s[1] = b;
    System.arraycopy(rest, 0, s, 2, rest.length);
    return s;
  }
}
