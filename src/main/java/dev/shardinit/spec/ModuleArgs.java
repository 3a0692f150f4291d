package dev.shardinit.spec;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * A module entry's {@code args}, read the way torch's constructor takes them: by torch's argument names, with
 * torch's defaults. Every problem is kept as one {@code args.<argument>: <message>} line (or {@code args: ...}
 * when it is about several arguments); a reader that finds a problem returns null, and the module builds
 * nothing once {@link #ok} is false.
 */
final class ModuleArgs {
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private final Modules.Def module;
  private final JsonNode args; // an object, or null when the entry has none
  private final List<String> problems = new ArrayList<>();

  ModuleArgs(Modules.Def module, JsonNode args) {
    this.module = module;
    this.args = args;
  }

  /** True while no problem was found. */
  boolean ok() {
    return problems.isEmpty();
  }

  /** The problems found, one line each, in the order the arguments were read, then the unknown arguments. */
  List<String> problems() {
    return problems;
  }

  /** A problem with one argument (torch's message where torch has one); {@code name} null: with several. */
  void fail(String name, String message) {
    problems.add((name == null ? "args" : "args." + name) + ": " + message);
  }

  /** A required size: a positive integer. */
  Long size(String name) {
    JsonNode v = value(name, true);
    return v == null ? null : positive(name, v);
  }

  /** An optional size: a positive integer, {@code dflt} when left out. */
  Long size(String name, long dflt) {
    JsonNode v = value(name, false);
    return v == null ? (has(name) ? null : dflt) : positive(name, v);
  }

  /** A required integer of any sign (torch checks its range, with its own message). */
  Long integer(String name) {
    JsonNode v = value(name, true);
    return v == null ? null : int64(name, v);
  }

  /** An optional integer of any sign, {@code dflt} when left out (null: torch's None). */
  Long integer(String name, Long dflt) {
    JsonNode v = value(name, false);
    return v == null ? (has(name) ? null : dflt) : int64(name, v);
  }

  /** An optional boolean, {@code dflt} when left out. */
  Boolean flag(String name, boolean dflt) {
    JsonNode v = value(name, false);
    if (v == null) {
      return has(name) ? null : dflt;
    }
    if (!v.isBoolean()) {
      fail(name, "must be true or false, got " + SpecParser.show(v));
      return null;
    }
    return v.booleanValue();
  }

  /** A convolution's kernel_size: one positive integer for every dimension, or a list of {@code n} of them. */
  long[] kernel(String name, int n) {
    JsonNode v = value(name, true);
    if (v == null) {
      return null;
    }
    String expected = "must be a positive integer or a list of " + n + " positive integers, got " + SpecParser.show(v);
    if (v.isIntegralNumber() && isPositiveLong(v)) {
      long[] k = new long[n];
      Arrays.fill(k, v.longValue());
      return k;
    }
    if (!v.isArray() || v.size() != n) {
      fail(name, expected);
      return null;
    }
    return positives(name, v, expected);
  }

  /** A normalization's normalized_shape: a positive integer, or a list (possibly empty) of them. */
  long[] shape(String name) {
    JsonNode v = value(name, true);
    if (v == null) {
      return null;
    }
    String expected = "must be a positive integer or a list of positive integers, got " + SpecParser.show(v);
    if (v.isIntegralNumber() && isPositiveLong(v)) {
      return new long[] {v.longValue()};
    }
    if (!v.isArray()) {
      fail(name, expected);
      return null;
    }
    return positives(name, v, expected);
  }

  /**
   * Adds a problem for every argument the module does not take: torch's constructor arguments that do not change
   * the parameters get their own message, the rest are named with the accepted ones.
   */
  void checkUnknown() {
    if (args == null) {
      return;
    }
    for (Iterator<String> it = args.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (module.args.contains(k)) {
        continue;
      }
      String why = module.refused.get(k);
      fail(k, module.name + ": " + (why != null ? why
          : "unknown argument '" + k + "'; accepted: " + String.join(", ", module.args)));
    }
  }

  // ------------------------------------------------------------------------------------------------ reading

  private boolean has(String name) {
    return args != null && args.has(name);
  }

  /**
   * The argument's value; null when it is left out (a problem if {@code required}) or null (always a problem:
   * leaving it out gives the default).
   */
  private JsonNode value(String name, boolean required) {
    JsonNode v = args == null ? null : args.get(name);
    if (v == null) {
      if (required) {
        fail(name, module.name + ": missing required argument '" + name + "'");
      }
      return null;
    }
    if (v.isNull()) {
      fail(name, "must not be null; leave the argument out to use its default");
      return null;
    }
    return v;
  }

  private Long positive(String name, JsonNode v) {
    if (!v.isIntegralNumber() || v.bigIntegerValue().signum() <= 0) {
      fail(name, "must be a positive integer, got " + SpecParser.show(v));
      return null;
    }
    if (v.bigIntegerValue().compareTo(LONG_MAX) > 0) {
      fail(name, "must be at most " + Long.MAX_VALUE + ", got " + SpecParser.show(v));
      return null;
    }
    return v.longValue();
  }

  private Long int64(String name, JsonNode v) {
    if (!v.isIntegralNumber()) {
      fail(name, "must be an integer, got " + SpecParser.show(v));
      return null;
    }
    if (!v.canConvertToLong()) {
      fail(name, "must be a signed 64-bit integer, got " + SpecParser.show(v));
      return null;
    }
    return v.longValue();
  }

  private static boolean isPositiveLong(JsonNode v) {
    return v.canConvertToLong() && v.longValue() > 0;
  }

  private long[] positives(String name, JsonNode list, String expected) {
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode d = list.get(i);
      if (!d.isIntegralNumber() || !isPositiveLong(d)) {
        fail(name, expected);
        return null;
      }
      out[i] = d.longValue();
    }
    return out;
  }
}
