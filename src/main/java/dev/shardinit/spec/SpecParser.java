package dev.shardinit.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardinit.format.FileFormat;
import dev.shardinit.init.ByName;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.InitException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Validates a job spec's tree ({@link SpecReader}) by hand: every key known, every value of the right type,
 * placeholders bound, module entries rewritten into the tensor entries they stand for ({@link ModuleEntries}); then
 * has the entries expanded and resolved ({@link Expansion}). All errors are collected
 * ({@link Errors}), one line each.
 */
final class SpecParser {
  /** The most tensors a spec may expand to. */
  static final int MAX_TENSORS = 1_000_000;

  private static final List<String> TOP_KEYS = List.of("seed", "dtype", "format", "config", "tensors");
  private static final List<String> TENSOR_KEYS = List.of("name", "shape", "dtype", "init", "args", "padding_idx");
  private static final List<String> REPEAT_KEYS = List.of("repeat", "tensors");
  private final String file;
  private final Errors errors;
  private int templates;
  private final ModuleEntries modules;

  private SpecParser(String file) {
    this.file = file;
    this.errors = new Errors(file);
    this.modules = new ModuleEntries(errors);
  }

  // ------------------------------------------------------------------------------------------- validation

  /** Validates {@code root} and builds the job; throws a SpecException with every error found. */
  static JobSpec parse(JsonNode root, String file) {
    return new SpecParser(file).job(root);
  }

  private JobSpec job(JsonNode root) {
    if (root.isMissingNode()) {
      throw new SpecException(file, List.of("the job spec is empty; it needs at least 'seed' and 'tensors'"));
    }
    if (!root.isObject()) {
      throw new SpecException(file, List.of(
          "the job spec must be a mapping with keys seed, dtype, format, config, tensors; got " + show(root)));
    }
    unknownKeys(root, TOP_KEYS, "", "");

    long seed = 0;
    JsonNode s = root.get("seed");
    if (s == null) {
      error("missing field 'seed'");
    } else {
      Long v = int64(s, "seed");
      if (v != null) {
        seed = v;
      }
    }

    Dtype dtype = Dtype.FLOAT32;
    boolean dtypeOk = true;
    if (root.has("dtype")) {
      dtype = dtype(root.get("dtype"), "dtype");
      dtypeOk = dtype != null;
    }

    FileFormat format = FileFormat.PARQUET;
    if (root.has("format")) {
      JsonNode f = root.get("format");
      if (!f.isTextual()) {
        error("format: must be a string, got " + show(f));
      } else {
        try {
          format = FileFormat.parse(f.asText());
        } catch (IllegalArgumentException e) {
          error("format: " + e.getMessage());
        }
      }
    }

    ObjectNode config = null;
    JsonNode c = root.get("config");
    if (c != null && !c.isObject()) {
      error("config: must be a mapping (a model's Hugging Face config), got " + show(c));
    } else if (c != null) {
      config = (ObjectNode) c;
    }

    List<Template.Entry> entries = List.of();
    JsonNode t = root.get("tensors");
    if (t == null) {
      error("missing field 'tensors'");
    } else {
      entries = entries(t, "tensors", List.of());
    }

    List<TensorSpec> tensors = new ArrayList<>();
    Expansion expansion = new Expansion(errors);
    long count = Expansion.count(entries);
    if (count > MAX_TENSORS) {
      error("tensors: the repeat blocks expand to " + (count == Long.MAX_VALUE ? "more than " + MAX_TENSORS : count)
          + " tensors; at most " + MAX_TENSORS + " are supported");
    } else {
      expansion.expand(entries, seed, dtypeOk ? dtype : null, tensors);
    }
    long total = 0;
    for (TensorSpec ts : tensors) {
      try {
        total = Math.addExact(total, ts.numel());
      } catch (ArithmeticException e) {
        error("tensors: the total element count exceeds " + Long.MAX_VALUE);
        break;
      }
    }
    if (errors.any()) {
      throw errors.failure();
    }
    return new JobSpec(file, seed, dtype, format, tensors, config, expansion.warnings());
  }

  private void error(String e) {
    errors.add(e);
  }

  private void unknownKeys(JsonNode obj, List<String> allowed, String label, String where) {
    for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) {
        error((label.isEmpty() ? "" : label + ": ") + "unknown key '" + k + "'" + where + "; allowed: "
            + String.join(", ", allowed));
      }
    }
  }

  private Long int64(JsonNode n, String field) {
    if (!n.isIntegralNumber()) {
      error(field + ": must be an integer, got " + show(n));
      return null;
    }
    if (!n.canConvertToLong()) {
      error(field + ": must be a signed 64-bit integer, got " + show(n));
      return null;
    }
    return n.longValue();
  }

  private Dtype dtype(JsonNode n, String field) {
    if (!n.isTextual()) {
      error(field + ": must be a string, got " + show(n));
      return null;
    }
    try {
      return Dtype.parse(n.asText());
    } catch (IllegalArgumentException e) {
      error(field + ": " + e.getMessage());
      return null;
    }
  }

  private List<Template.Entry> entries(JsonNode list, String path, List<String> bound) {
    if (!list.isArray()) {
      error(path + ": must be a list of tensors, got " + show(list));
      return List.of();
    }
    if (list.isEmpty()) {
      error(path + ": must not be empty");
      return List.of();
    }
    List<Template.Entry> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode e = list.get(i);
      String p = path + "[" + i + "]";
      if (!e.isObject()) {
        error(p + ": must be a mapping (a tensor, a module or a repeat block), got " + show(e));
      } else if (e.has("repeat")) {
        out.add(repeat(e, p, bound));
      } else if (e.has("module")) {
        for (JsonNode t : modules.rewrite(e, p, bound)) {
          out.add(tensor(t, p, bound));
        }
      } else {
        out.add(tensor(e, p, bound));
      }
    }
    return out;
  }

  private Template.Repeat repeat(JsonNode node, String p, List<String> bound) {
    Template.Repeat r = new Template.Repeat(p);
    int before = errors.count();
    unknownKeys(node, REPEAT_KEYS, p, " in a repeat block");
    JsonNode spec = node.get("repeat");
    String rp = p + ".repeat";
    if (!spec.isObject() || spec.size() != 1) {
      error(rp + ": must bind one variable to a count or a [start, end] range, like {i: 12} or {i: [2, 5]}; got "
          + show(spec));
    } else {
      String var = spec.fieldNames().next();
      JsonNode v = spec.get(var);
      if (!Placeholders.IDENT.matcher(var).matches()) {
        error(rp + ": variable name '" + var + "' must be an identifier (letters, digits and _, not starting "
            + "with a digit)");
      } else if (bound.contains(var)) {
        error(rp + ": variable '" + var + "' is already bound by an enclosing repeat");
      } else {
        r.var = var;
      }
      String vp = rp + "." + var;
      if (v.isIntegralNumber()) {
        if (!v.canConvertToLong() || v.longValue() < 1) {
          error(vp + ": count must be a positive integer, got " + show(v));
        } else {
          r.start = 0;
          r.end = v.longValue();
        }
      } else if (v.isArray() && v.size() == 2 && v.get(0).isIntegralNumber() && v.get(1).isIntegralNumber()) {
        if (!v.get(0).canConvertToLong() || !v.get(1).canConvertToLong() || v.get(0).longValue() < 0
            || v.get(0).longValue() >= v.get(1).longValue()) {
          error(vp + ": range [start, end] needs 0 <= start < end, got " + show(v));
        } else {
          r.start = v.get(0).longValue();
          r.end = v.get(1).longValue();
        }
      } else {
        error(vp + ": must be a count or a [start, end] range of integers, got " + show(v));
      }
    }
    JsonNode children = node.get("tensors");
    if (children == null) {
      error(p + ": missing field 'tensors'");
    }
    r.ok = errors.count() == before;
    if (children != null) {
      // The children's placeholders are checked against every variable the block names, valid or not, so a
      // bad repeat does not also make its children's placeholders "unknown".
      List<String> inner = new ArrayList<>(bound);
      if (spec.isObject()) {
        spec.fieldNames().forEachRemaining(v -> {
          if (!inner.contains(v)) {
            inner.add(v);
          }
        });
      }
      r.children = entries(children, p + ".tensors", inner);
    }
    return r;
  }

  private Template.Tmpl tensor(JsonNode node, String p, List<String> bound) {
    Template.Tmpl t = new Template.Tmpl(p, templates++);
    int before = errors.count();
    JsonNode n = node.get("name");
    if (n == null) {
      error(p + ": missing field 'name'");
    } else if (!n.isTextual()) {
      error(p + ": name: must be a string, got " + show(n));
    } else if (n.asText().isEmpty()) {
      error(p + ": name: must not be empty");
    } else {
      t.rawName = n.asText();
      t.nameParts = Placeholders.split(t.rawName, t.label(), bound, errors);
    }
    String label = t.label();
    unknownKeys(node, TENSOR_KEYS, label, "");

    JsonNode s = node.get("shape");
    if (s == null) {
      error(label + ": missing field 'shape'");
    } else {
      t.shape = shape(s, label);
    }

    if (node.has("dtype")) {
      t.dtype = dtype(node.get("dtype"), label + ": dtype");
    }

    JsonNode i = node.get("init");
    if (i == null) {
      error(label + ": missing field 'init'");
    } else if (!i.isTextual()) {
      error(label + ": init: must be a string, got " + show(i));
    } else {
      try {
        t.init = ByName.canonical(i.asText());
      } catch (InitException e) {
        error(label + ": init: " + e.getMessage());
      }
    }

    JsonNode pad = node.get("padding_idx");
    if (pad != null) {
      t.paddingIdx = int64(pad, label + ": padding_idx");
    }

    JsonNode a = node.get("args");
    if (a != null) {
      if (!a.isObject()) {
        error(label + ": args: must be a mapping of argument names to values, got " + show(a));
      } else {
        for (Map.Entry<String, JsonNode> e : a.properties()) {
          Object v = argValue(e.getValue());
          if (v == null) {
            error(label + ": args." + e.getKey() + ": "
                + (e.getValue().isNull() ? "must not be null; leave the argument out to use its default"
                    : "must be a number, a string or a boolean, got " + show(e.getValue())));
          } else {
            t.args.put(e.getKey(), v);
          }
        }
      }
    }
    t.ok = errors.count() == before;
    return t;
  }

  private long[] shape(JsonNode s, String label) {
    if (!s.isArray()) {
      error(label + ": shape: must be a list of integers, got " + show(s));
      return null;
    }
    long[] shape = new long[s.size()];
    boolean ok = true;
    for (int k = 0; k < s.size(); k++) {
      JsonNode d = s.get(k);
      String what = label + ": shape: dimension " + k;
      if (!d.isIntegralNumber()) {
        error(what + " must be an integer, got " + show(d));
        ok = false;
      } else if (d.bigIntegerValue().signum() <= 0) {
        error(what + " must be positive, got " + show(d));
        ok = false;
      } else if (!d.canConvertToLong()) {
        error(what + " must be at most " + Long.MAX_VALUE + ", got " + show(d));
        ok = false;
      } else {
        shape[k] = d.longValue();
      }
    }
    if (!ok) {
      return null;
    }
    long n = 1;
    for (long d : shape) {
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        error(label + ": shape: " + Arrays.toString(shape) + " has more than " + Long.MAX_VALUE
            + " elements; the element count must fit in 63 bits");
        return null;
      }
    }
    return shape;
  }

  /** The Java value of an argument, or null when it is not a scalar. */
  private static Object argValue(JsonNode v) {
    if (v.isIntegralNumber()) {
      return v.canConvertToLong() ? (Object) v.longValue() : (Object) v.bigIntegerValue();
    }
    if (v.isNumber()) {
      return v.doubleValue();
    }
    if (v.isBoolean()) {
      return v.booleanValue();
    }
    if (v.isTextual()) {
      return v.asText();
    }
    return null;
  }


  /** A value as it appears in a message: JSON text, shortened. */
  static String show(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "nothing";
    }
    String s = n.toString();
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }
}
