package dev.shardinit.spec;

import dev.shardinit.init.ByName;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.InitException;
import dev.shardinit.init.Initializer;
import dev.shardinit.init.Target;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A spec's entries expanded into its tensors: repeat blocks in order, placeholders substituted, names checked
 * unique, every initializer resolved for the job's seed and dtype and its size checked; torch's warnings kept,
 * once per entry. Also re-resolves a job's tensors for another seed or default dtype.
 */
final class Expansion {
  private final Errors errors;
  private final List<String> warnings = new ArrayList<>();

  Expansion(Errors errors) {
    this.errors = errors;
  }

  /** The warnings torch would give, as {@code <tensor>: init: <text>}. */
  List<String> warnings() {
    return warnings;
  }


  /** How many tensors the entries expand to, saturating at Long.MAX_VALUE. */
  static long count(List<Template.Entry> entries) {
    long n = 0;
    for (Template.Entry e : entries) {
      long c = 1;
      if (e instanceof Template.Repeat) {
        Template.Repeat r = (Template.Repeat) e;
        if (!r.ok) {
          continue;
        }
        long inner = count(r.children);
        long reps = r.end - r.start;
        c = inner != 0 && reps > Long.MAX_VALUE / inner ? Long.MAX_VALUE : reps * inner;
      }
      n = c > Long.MAX_VALUE - n ? Long.MAX_VALUE : n + c;
    }
    return n;
  }

  /** Expands the entries in file order into {@code out}; the default dtype is null when it is invalid. */
  void expand(List<Template.Entry> entries, long seed, Dtype dflt, List<TensorSpec> out) {
    expand(entries, new LinkedHashMap<>(), new HashMap<>(), seed, dflt, out);
  }

  private void expand(List<Template.Entry> entries, LinkedHashMap<String, Long> binding, Map<String, String> seen,
      long seed, Dtype dflt, List<TensorSpec> out) {
    for (Template.Entry e : entries) {
      if (e instanceof Template.Repeat) {
        Template.Repeat r = (Template.Repeat) e;
        if (!r.ok) {
          continue;
        }
        for (long v = r.start; v < r.end; v++) {
          binding.put(r.var, v);
          expand(r.children, binding, seen, seed, dflt, out);
        }
        binding.remove(r.var);
        continue;
      }
      Template.Tmpl t = (Template.Tmpl) e;
      if (!t.ok || t.failed) {
        continue;
      }
      StringBuilder b = new StringBuilder();
      for (Object part : t.nameParts) {
        b.append(part instanceof Template.Var ? String.valueOf(binding.get(((Template.Var) part).name)) : (String) part);
      }
      String name = b.toString();
      String location = t.path;
      if (!binding.isEmpty()) {
        StringBuilder l = new StringBuilder(t.path).append('{');
        binding.forEach((k, v) -> l.append(l.charAt(l.length() - 1) == '{' ? "" : ",").append(k).append('=').append(v));
        location = l.append('}').toString();
      }
      String first = seen.putIfAbsent(name, location);
      if (first != null) {
        if (!t.dupReported) {
          errors.add(label(location, name) + ": duplicate tensor name (first at " + first + ")");
          t.dupReported = true;
        }
        continue;
      }
      Dtype dt = t.dtype != null ? t.dtype : dflt;
      if (dt == null) {
        continue; // the default dtype is invalid, and reported
      }
      Initializer init;
      try {
        init = ByName.resolve(Target.of(name, t.shape, dt, seed), t.init, t.args, t.paddingIdx);
      } catch (InitException x) {
        errors.add(t.label() + ": " + describe(t.init, x));
        t.failed = true;
        continue;
      }
      String tooBig = sizeError(init);
      if (tooBig != null) {
        errors.add(label(location, name) + ": " + tooBig);
        t.failed = true;
        continue;
      }
      if (!t.warned) {
        for (String w : init.warnings()) {
          warnings.add(label(location, name) + ": init: " + w);
        }
        t.warned = true;
      }
      out.add(new TensorSpec(name, t.shape, dt, t.dtype != null, t.init, t.args, t.paddingIdx, location, t.id,
          init));
    }
  }

  static String label(String path, String name) {
    return SpecException.label(path, name);
  }

  /**
   * Why a resolved tensor is too large to exist as bytes (numel times the element size over 2^63 - 1), or null.
   * Every later size (files, tasks, the job's total) is computed from these, so they must be exact.
   */
  static String sizeError(Initializer init) {
    try {
      Math.multiplyExact(init.target().numel(), init.target().dtype().bytes());
      return null;
    } catch (ArithmeticException e) {
      return "shape: " + Arrays.toString(init.target().shape()) + " holds " + init.target().numel() + " "
          + init.target().dtype().id() + " elements, more than " + Long.MAX_VALUE + " bytes";
    }
  }


  /**
   * An initializer's error as {@code <field>: <message>}: the field is {@code args.<name>} when the error is about
   * an argument the function takes (or one it does not take), {@code args} when it is about how several relate
   * (trunc_normal_'s a and b), else {@code init}. The function name is prefixed when the message lacks it.
   */
  static String describe(String fn, InitException e) {
    String msg = e.getMessage();
    String base = fn.endsWith("_") ? fn.substring(0, fn.length() - 1) : fn;
    List<String> accepted = ByName.FUNCTIONS.getOrDefault(fn, List.of());
    String field = "init";
    if ("padding_idx".equals(e.argument())) {
      return "padding_idx: " + msg;
    }
    if (e.aboutArguments()) {
      field = "args";
    } else if (e.argument() != null && (e.unknownArgument() || accepted.contains(e.argument()))) {
      field = "args." + e.argument();
    }
    if (!msg.contains(base)) {
      msg = fn + ": " + msg;
    }
    return field + ": " + msg;
  }

  /** Re-resolves tensors for another default dtype or seed, with the parser's error lines. */
  static List<TensorSpec> reresolve(String file, List<TensorSpec> tensors, Dtype dflt, long seed) {
    List<String> errs = new ArrayList<>();
    List<TensorSpec> out = new ArrayList<>(tensors.size());
    Set<Integer> failed = new HashSet<>();
    for (TensorSpec t : tensors) {
      if (failed.contains(t.template())) {
        continue;
      }
      String error;
      try {
        TensorSpec r = t.with(t.hasOwnDtype() ? t.dtype() : dflt, seed);
        error = sizeError(r.initializer());
        if (error == null) {
          out.add(r);
          continue;
        }
      } catch (InitException e) {
        error = describe(t.init(), e);
      }
      failed.add(t.template());
      if (errs.size() < Errors.MAX_ERRORS) {
        errs.add(label(t.location(), t.name()) + ": " + error);
      }
    }
    if (!errs.isEmpty()) {
      throw new SpecException(file, errs);
    }
    return out;
  }
}
