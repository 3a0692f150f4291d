package dev.shardinit.init;

import dev.shardinit.rng.Orthogonal;
import dev.shardinit.rng.Sampler;
import dev.shardinit.rng.Samplers;
import dev.shardinit.rng.Stream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The torch.nn.init functions, one entry point each, with torch's defaults, formulas and argument checks.
 * Each validates, derives (fan, gain, std or bound) and resolves to one primitive {@link Sampler}; none
 * draws a number until {@link Initializer#fill} is called.
 */
public final class Init {
  static final String ZERO_ELEMENTS = "Initializing zero-element tensors is a no-op";
  private static final double SQRT3 = Math.sqrt(3.0);

  private Init() {}

  /** uniform_(a=0, b=1): U(a, b). */
  public static Initializer uniform(Target t, double a, double b) {
    return uniformLike(t, "uniform_", args("a", a, "b", b), a, b, null, null);
  }

  /** normal_(mean=0, std=1): N(mean, std^2). */
  public static Initializer normal(Target t, double mean, double std) {
    return normalLike(t, "normal_", args("mean", mean, "std", std), mean, std, null);
  }

  /**
   * trunc_normal_(mean=0, std=1, a=-2, b=2): N(mean, std^2) conditioned on the absolute interval [a, b].
   * Sampled by inversion in float64; no value leaves [a, b] after rounding to the dtype.
   */
  public static Initializer truncNormal(Target t, double mean, double std, double a, double b) {
    finite("mean", mean);
    finite("std", std);
    finite("a", a);
    finite("b", b);
    if (!(std > 0)) {
      throw InitException.argument("std", "trunc_normal_ expects std > 0.0, but found std %s", Fmt.num(std));
    }
    if (a > b) {
      throw InitException.arguments("trunc_normal_ expects a <= b, but found a=%s > b=%s", Fmt.num(a), Fmt.num(b));
    }
    Dtype dt = t.dtype();
    double keepLo = dt.ceil(a);
    double keepHi = dt.floor(b);
    if (!(keepLo <= keepHi)) {
      throw InitException.arguments("trunc_normal_: no %s value lies in [a, b] = [%s, %s]", dt, Fmt.num(a), Fmt.num(b));
    }
    double alpha = (a - mean) / std;
    double beta = (b - mean) / std;
    if (Math.min(Math.abs(alpha), Math.abs(beta)) > 37 && (alpha > 0 || beta < 0)) {
      throw InitException.arguments("trunc_normal_: [a, b] = [%s, %s] lies more than 37 std from mean=%s (std=%s); "
          + "its probability underflows float64", Fmt.num(a), Fmt.num(b), Fmt.num(mean), Fmt.num(std));
    }
    List<String> warnings = new ArrayList<>();
    if (mean < a - 2 * std || mean > b + 2 * std) {
      warnings.add("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
          + "The distribution of values may be incorrect.");
    }
    Sampler s = rounded16(Samplers.truncNormal(values(t), dt.wide(), mean, std, a, b, keepLo, keepHi), dt,
        "trunc_normal", INVERSION_ERROR * (Math.abs(mean) + std * (8 + Math.abs(alpha) + Math.abs(beta))),
        mean, std, a, b);
    return make(t, "trunc_normal_", args("mean", mean, "std", std, "a", a, "b", b), s, null, std, null, warnings);
  }

  /** constant_(val): every element val, rounded to the dtype. */
  public static Initializer constant(Target t, double val) {
    finite("val", val);
    if (Double.isInfinite(t.dtype().round(val))) {
      throw InitException.of("value cannot be converted to type %s without overflow", t.dtype());
    }
    return make(t, "constant_", args("val", val), Samplers.constant(val), null, null, null, new ArrayList<>());
  }

  /** ones_: every element 1. */
  public static Initializer ones(Target t) {
    return make(t, "ones_", args(), Samplers.constant(1.0), null, null, null, new ArrayList<>());
  }

  /** zeros_: every element 0. */
  public static Initializer zeros(Target t) {
    return make(t, "zeros_", args(), Samplers.constant(0.0), null, null, null, new ArrayList<>());
  }

  /** eye_: the identity of a 2-D (possibly rectangular) matrix. */
  public static Initializer eye(Target t) {
    if (t.dims() != 2) {
      throw new InitException("Only tensors with 2 dimensions are supported");
    }
    return make(t, "eye_", args(), Samplers.eye(t.dim(1)), null, null, null, new ArrayList<>());
  }

  /**
   * dirac_(groups=1): for a 3-, 4- or 5-D convolution weight, 1 at [g * out/groups + d, d, k//2, ...] for each
   * group g and d &lt; min(out/groups, in); 0 elsewhere.
   */
  public static Initializer dirac(Target t, long groups) {
    int dims = t.dims();
    if (dims < 3 || dims > 5) {
      throw new InitException("Only tensors with 3, 4, or 5 dimensions are supported");
    }
    if (groups < 1) {
      throw InitException.argument("groups", "dirac_ expects groups >= 1, but found groups %d", groups);
    }
    if (t.dim(0) % groups != 0) {
      throw InitException.argument("groups", "dim 0 must be divisible by groups");
    }
    return make(t, "dirac_", args("groups", groups), Samplers.dirac(t.shape(), groups), null, null, null,
        new ArrayList<>());
  }

  /** xavier_uniform_(gain=1): U(-bound, bound), bound = sqrt(3) * gain * sqrt(2 / (fan_in + fan_out)). */
  public static Initializer xavierUniform(Target t, double gain) {
    finite("gain", gain);
    long[] f = Fans.inOut(t.shape());
    Map<String, Object> args = args("gain", gain);
    if (t.numel() == 0) {
      return make(t, "xavier_uniform_", args, null, gain, null, null, new ArrayList<>());
    }
    double std = gain * Math.sqrt(2.0 / (double) (f[0] + f[1]));
    double bound = SQRT3 * std;
    return uniformLike(t, "xavier_uniform_", args, -bound, bound, gain, bound);
  }

  /** xavier_normal_(gain=1): N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)). */
  public static Initializer xavierNormal(Target t, double gain) {
    finite("gain", gain);
    long[] f = Fans.inOut(t.shape());
    Map<String, Object> args = args("gain", gain);
    if (t.numel() == 0) {
      return make(t, "xavier_normal_", args, null, gain, null, null, new ArrayList<>());
    }
    double std = gain * Math.sqrt(2.0 / (double) (f[0] + f[1]));
    return normalLike(t, "xavier_normal_", args, 0.0, std, gain);
  }

  /**
   * kaiming_uniform_(a=0, mode='fan_in', nonlinearity='leaky_relu'): U(-bound, bound),
   * bound = sqrt(3) * calculate_gain(nonlinearity, a) / sqrt(fan).
   */
  public static Initializer kaimingUniform(Target t, Object a, String mode, String nonlinearity) {
    Map<String, Object> args = args("a", a, "mode", mode, "nonlinearity", nonlinearity);
    if (t.numel() == 0) {
      return make(t, "kaiming_uniform_", args, null, null, null, null, List.of(ZERO_ELEMENTS));
    }
    long fan = Fans.forMode(t.shape(), mode);
    double gain = Gain.calculate(nonlinearity, a);
    double std = gain / Math.sqrt((double) fan);
    double bound = SQRT3 * std;
    return uniformLike(t, "kaiming_uniform_", args, -bound, bound, gain, bound);
  }

  /**
   * kaiming_normal_(a=0, mode='fan_in', nonlinearity='leaky_relu'): N(0, std^2),
   * std = calculate_gain(nonlinearity, a) / sqrt(fan).
   */
  public static Initializer kaimingNormal(Target t, Object a, String mode, String nonlinearity) {
    Map<String, Object> args = args("a", a, "mode", mode, "nonlinearity", nonlinearity);
    if (t.numel() == 0) {
      return make(t, "kaiming_normal_", args, null, null, null, null, List.of(ZERO_ELEMENTS));
    }
    long fan = Fans.forMode(t.shape(), mode);
    double gain = Gain.calculate(nonlinearity, a);
    double std = gain / Math.sqrt((double) fan);
    return normalLike(t, "kaiming_normal_", args, 0.0, std, gain);
  }

  /**
   * orthogonal_(gain=1): a (semi-)orthogonal matrix of the view (shape[0], numel / shape[0]), Haar-distributed,
   * times gain. Built whole in float64; at most {@link Orthogonal#MAX_ELEMENTS} elements.
   */
  public static Initializer orthogonal(Target t, double gain) {
    if (t.dims() < 2) {
      throw new InitException("Only tensors with 2 or more dimensions are supported");
    }
    finite("gain", gain);
    Map<String, Object> args = args("gain", gain);
    if (t.numel() == 0) {
      return make(t, "orthogonal_", args, null, gain, null, null, List.of(ZERO_ELEMENTS));
    }
    if (t.numel() > Orthogonal.MAX_ELEMENTS) {
      throw InitException.of("orthogonal_ builds its matrix in one task and supports at most %d elements; "
          + "%s has %d", Orthogonal.MAX_ELEMENTS, t.name(), t.numel());
    }
    long rows = t.dim(0);
    long cols = t.numel() / rows;
    Sampler s = new Orthogonal(Stream.of(t.seed(), t.name(), Stream.ORTHOGONAL), rows, cols, gain);
    return make(t, "orthogonal_", args, s, gain, null, null, new ArrayList<>());
  }

  /**
   * sparse_(sparsity, std=0.01): N(0, std^2) with exactly ceil(sparsity * rows) zeros in every column of a
   * 2-D tensor, the zero rows of each column chosen by a keyed permutation.
   */
  public static Initializer sparse(Target t, double sparsity, double std) {
    if (t.dims() != 2) {
      throw new InitException("Only tensors with 2 dimensions are supported");
    }
    finite("sparsity", sparsity);
    finite("std", std);
    if (sparsity < 0 || sparsity > 1) {
      throw InitException.argument("sparsity", "sparse_ expects 0 <= sparsity <= 1, but found sparsity %s",
          Fmt.num(sparsity));
    }
    checkStd(std);
    Map<String, Object> args = args("sparsity", sparsity, "std", std);
    if (t.numel() == 0) {
      return make(t, "sparse_", args, null, null, std, null, List.of(ZERO_ELEMENTS));
    }
    long rows = t.dim(0);
    long cols = t.dim(1);
    long zeros = (long) Math.ceil(sparsity * rows);
    Sampler s = Samplers.sparse(values(t), Stream.of(t.seed(), t.name(), Stream.SPARSE), t.dtype().wide(),
        rows, cols, zeros, std);
    return make(t, "sparse_", args, s, null, std, null, new ArrayList<>());
  }

  private static Initializer uniformLike(Target t, String fn, Map<String, Object> args, double lo, double hi,
      Double gain, Double bound) {
    finite("a", lo);
    finite("b", hi);
    Dtype dt = t.dtype();
    if (Math.abs(lo) > dt.max()) {
      throw InitException.of("from is out of bounds for %s", dt);
    }
    if (Math.abs(hi) > dt.max()) {
      throw InitException.of("to is out of bounds for %s", dt);
    }
    if (lo > hi) {
      throw InitException.of("uniform_ expects to return a [from, to) range, but found from=%s > to=%s",
          Fmt.num(lo), Fmt.num(hi));
    }
    if (hi - lo > dt.max()) {
      throw InitException.of("uniform_ expects to-from <= std::numeric_limits<%s>::max(), but found to=%s "
          + "and from=%s which result in to-from to exceed the limit", dt, Fmt.num(hi), Fmt.num(lo));
    }
    // lo + (hi - lo) * u is increasing in u in IEEE arithmetic: no margin needed
    Sampler s = rounded16(Samplers.uniform(values(t), dt.wide(), lo, hi), dt, "uniform", 0.0, lo, hi);
    return make(t, fn, args, s, gain, null, bound, new ArrayList<>());
  }

  private static Initializer normalLike(Target t, String fn, Map<String, Object> args, double mean, double std,
      Double gain) {
    finite("mean", mean);
    finite("std", std);
    checkStd(std);
    Sampler s = rounded16(Samplers.normal(values(t), t.dtype().wide(), mean, std), t.dtype(), "normal",
        INVERSION_ERROR * (Math.abs(mean) + 8 * std), mean, std);
    return make(t, fn, args, s, gain, std, null, new ArrayList<>());
  }

  /**
   * A bound, relative to the largest magnitude involved, on how far the float64 inversion (AS 241 and the affine
   * map) strays from the exact increasing function: 2^-40, some thousand times the error of AS 241 (about 1e-16
   * relative) and of the two roundings after it. Used by the 16-bit tables to decide which buckets are pure.
   */
  private static final double INVERSION_ERROR = 0x1.0p-40;

  /** For bfloat16/float16 tensors, the sampler with its table fast path (same bits, less work). */
  private static Sampler rounded16(Sampler s, Dtype dt, String kind, double margin, double... params) {
    if (dt != Dtype.BFLOAT16 && dt != Dtype.FLOAT16) {
      return s;
    }
    StringBuilder key = new StringBuilder(kind).append('/').append(dt);
    for (double p : params) {
      key.append('/').append(Long.toHexString(Double.doubleToRawLongBits(p)));
    }
    key.append('/').append(Long.toHexString(Double.doubleToRawLongBits(margin)));
    return Samplers.rounded16(s, key.toString(), x -> dt.bits16(x) & 0xFFFF, margin);
  }

  private static void checkStd(double std) {
    if (!(std >= 0.0)) {
      throw InitException.argument("std", "normal expects std >= 0.0, but found std %s", Fmt.num(std));
    }
  }

  private static Initializer make(Target t, String fn, Map<String, Object> args, Sampler s, Double gain,
      Double std, Double bound, List<String> warnings) {
    List<String> w = new ArrayList<>(warnings);
    if (t.numel() == 0 && !w.contains(ZERO_ELEMENTS)) {
      w.add(ZERO_ELEMENTS);
    }
    return new Initializer(t, fn, args, s, gain, std, bound, w);
  }

  private static Stream values(Target t) {
    return Stream.of(t.seed(), t.name(), Stream.VALUES);
  }

  static void finite(String arg, double v) {
    if (!Double.isFinite(v)) {
      throw InitException.argument(arg, "argument '%s' must be a finite number, got %s", arg, Fmt.num(v));
    }
  }

  private static Map<String, Object> args(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
