package dev.shardinit.init;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Resolves an initializer from its torch name and keyword arguments, as a job spec gives them: the name with
 * or without the trailing underscore, arguments spelled as in torch, defaults as in torch. Unknown names and
 * arguments, missing required arguments and values of the wrong type are rejected with a message that names
 * them.
 */
public final class ByName {
  /** The fifteen torch.nn.init functions (calculate_gain aside), with their arguments in torch's order. */
  public static final Map<String, List<String>> FUNCTIONS = Map.ofEntries(
      Map.entry("uniform_", List.of("a", "b")),
      Map.entry("normal_", List.of("mean", "std")),
      Map.entry("trunc_normal_", List.of("mean", "std", "a", "b")),
      Map.entry("constant_", List.of("val")),
      Map.entry("ones_", List.of()),
      Map.entry("zeros_", List.of()),
      Map.entry("eye_", List.of()),
      Map.entry("dirac_", List.of("groups")),
      Map.entry("xavier_uniform_", List.of("gain")),
      Map.entry("xavier_normal_", List.of("gain")),
      Map.entry("kaiming_uniform_", List.of("a", "mode", "nonlinearity")),
      Map.entry("kaiming_normal_", List.of("a", "mode", "nonlinearity")),
      Map.entry("orthogonal_", List.of("gain")),
      Map.entry("sparse_", List.of("sparsity", "std")));

  private ByName() {}

  /**
   * The canonical name (with trailing underscore) of {@code fn}, or an error listing the valid ones. Accepted as
   * {@link Dtype#parse} accepts dtypes: any case, surrounding blanks, with or without the trailing underscore,
   * and with or without a {@code torch.nn.init.} (or {@code nn.init.}) prefix.
   */
  public static String canonical(String fn) {
    String k = fn.trim().toLowerCase(java.util.Locale.ROOT);
    for (String prefix : new String[] {"torch.nn.init.", "nn.init."}) {
      if (k.startsWith(prefix)) {
        k = k.substring(prefix.length());
        break;
      }
    }
    String c = k.endsWith("_") ? k : k + "_";
    if (!FUNCTIONS.containsKey(c)) {
      throw InitException.of("unknown init '%s'; use one of %s", fn, String.join(", ", new TreeSet<>(FUNCTIONS.keySet())));
    }
    return c;
  }

  /**
   * Resolves {@code fn(**kwargs)} for {@code t}, then zeroes row {@code paddingIdx} of dimension 0 when it is not
   * null ({@link Initializer#withPaddingIdx}).
   */
  public static Initializer resolve(Target t, String fn, Map<String, ?> kwargs, Long paddingIdx) {
    Initializer i = resolve(t, fn, kwargs);
    return paddingIdx == null ? i : i.withPaddingIdx(paddingIdx);
  }

  /** Resolves {@code fn(**kwargs)} for {@code t}. */
  public static Initializer resolve(Target t, String fn, Map<String, ?> kwargs) {
    String c = canonical(fn);
    List<String> accepted = FUNCTIONS.get(c);
    for (String k : kwargs.keySet()) {
      if (!accepted.contains(k)) {
        throw InitException.unknownArgument(k, "%s: unknown argument '%s'; %s", c, k,
            accepted.isEmpty() ? "it takes no arguments" : "accepted: " + String.join(", ", accepted));
      }
    }
    Args a = new Args(c, kwargs);
    switch (c) {
      case "uniform_": return Init.uniform(t, a.num("a", 0.0), a.num("b", 1.0));
      case "normal_": return Init.normal(t, a.num("mean", 0.0), a.num("std", 1.0));
      case "trunc_normal_":
        return Init.truncNormal(t, a.num("mean", 0.0), a.num("std", 1.0), a.num("a", -2.0), a.num("b", 2.0));
      case "constant_": return Init.constant(t, a.num("val", null));
      case "ones_": return Init.ones(t);
      case "zeros_": return Init.zeros(t);
      case "eye_": return Init.eye(t);
      case "dirac_": return Init.dirac(t, a.integer("groups", 1L));
      case "xavier_uniform_": return Init.xavierUniform(t, a.num("gain", 1.0));
      case "xavier_normal_": return Init.xavierNormal(t, a.num("gain", 1.0));
      case "kaiming_uniform_":
        return Init.kaimingUniform(t, a.slope(), a.str("mode", "fan_in"), a.str("nonlinearity", "leaky_relu"));
      case "kaiming_normal_":
        return Init.kaimingNormal(t, a.slope(), a.str("mode", "fan_in"), a.str("nonlinearity", "leaky_relu"));
      case "orthogonal_": return Init.orthogonal(t, a.num("gain", 1.0));
      case "sparse_": return Init.sparse(t, a.num("sparsity", null), a.num("std", 0.01));
      default: throw new IllegalStateException(c);
    }
  }

  /** Typed access to one call's keyword arguments. */
  private static final class Args {
    private final String fn;
    private final Map<String, ?> kw;

    Args(String fn, Map<String, ?> kw) {
      this.fn = fn;
      this.kw = kw;
    }

    private Object get(String name, Object dflt) {
      Object v = kw.get(name);
      if (v == null) {
        if (dflt == null) {
          throw InitException.argument(name, "%s: missing required argument '%s'", fn, name);
        }
        return dflt;
      }
      return v;
    }

    double num(String name, Double dflt) {
      Object v = get(name, dflt);
      if (v instanceof Number) {
        return ((Number) v).doubleValue();
      }
      throw wrongType(name, v, "a number");
    }

    long integer(String name, Long dflt) {
      Object v = get(name, dflt);
      if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
          || v instanceof java.math.BigInteger) {
        return ((Number) v).longValue();
      }
      throw wrongType(name, v, "an integer");
    }

    String str(String name, String dflt) {
      Object v = get(name, dflt);
      if (v instanceof String) {
        return (String) v;
      }
      throw wrongType(name, v, "a string");
    }

    /** kaiming's {@code a}: passed to calculate_gain as torch does, so a Boolean fails there. */
    Object slope() {
      Object v = get("a", 0);
      if (v instanceof Number || v instanceof Boolean) {
        return v;
      }
      throw wrongType("a", v, "a number");
    }

    private InitException wrongType(String name, Object v, String what) {
      String kind = v instanceof String ? "string '" + v + "'" : v.getClass().getSimpleName().toLowerCase() + " " + v;
      return InitException.argument(name, "%s: argument '%s' must be %s, got %s", fn, name, what, kind);
    }
  }

  /** The names accepted for {@code fn}, for help texts. */
  public static Set<String> names() {
    return new TreeSet<>(FUNCTIONS.keySet());
  }
}
