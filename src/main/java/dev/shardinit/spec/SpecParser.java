package dev.shardinit.spec;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.shardinit.init.ByName;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.InitException;
import dev.shardinit.init.Initializer;
import dev.shardinit.init.Target;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a job spec into a Jackson tree and validates the tree by hand: every key known, every value of the
 * right type, repeat blocks expanded, names unique, every initializer resolved. All errors are collected (at
 * most {@link #MAX_ERRORS}), one line each.
 */
final class SpecParser {
  /** The largest job spec read, in bytes (and YAML code points). */
  static final int MAX_BYTES = 64 << 20;
  /** The most tensors a spec may expand to. */
  static final int MAX_TENSORS = 1_000_000;
  static final int MAX_ERRORS = 50;
  static final List<String> FORMATS = List.of("parquet", "arrow");

  private static final List<String> TOP_KEYS = List.of("seed", "dtype", "format", "tensors");
  private static final List<String> TENSOR_KEYS = List.of("name", "shape", "dtype", "init", "args");
  private static final List<String> REPEAT_KEYS = List.of("repeat", "tensors");
  private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  /** Jackson's message for a repeated key (STRICT_DUPLICATE_DETECTION). */
  private static final Pattern DUPLICATE = Pattern.compile("^Duplicate (?:field|Object property) ['\"](.*)['\"]");

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  private static final ObjectMapper YAML;

  static {
    LoaderOptions lo = new LoaderOptions();
    lo.setCodePointLimit(MAX_BYTES);
    YAML = YAMLMapper.builder(YAMLFactory.builder().loaderOptions(lo).build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .build();
  }

  private final String file;
  private final List<String> errors = new ArrayList<>();
  private int suppressed;
  private final List<String> warnings = new ArrayList<>();
  private int templates;

  private SpecParser(String file) {
    this.file = file;
  }

  /** An entry of a tensors list: a tensor or a repeat block. */
  private abstract static class Entry {
    final String path;

    Entry(String path) {
      this.path = path;
    }
  }

  /** A tensor as written, placeholders unresolved. */
  private static final class Tmpl extends Entry {
    final int id;
    String rawName;
    List<Object> nameParts; // String literals and Var references
    long[] shape;
    Dtype dtype; // null: the job's default
    String init;
    Map<String, Object> args = new LinkedHashMap<>();
    boolean ok = true;
    boolean failed;
    boolean dupReported;
    boolean warned;

    Tmpl(String path, int id) {
      super(path);
      this.id = id;
    }

    String label() {
      return SpecParser.label(path, rawName);
    }
  }

  private static final class Var {
    final String name;

    Var(String name) {
      this.name = name;
    }
  }

  private static final class Repeat extends Entry {
    String var;
    long start;
    long end;
    List<Entry> children = List.of();
    boolean ok = true;

    Repeat(String path) {
      super(path);
    }
  }

  // ---------------------------------------------------------------------------------------------- reading

  /** Parses the text as YAML, or as JSON when the file name ends in .json. */
  static JsonNode readTree(String text, String file) {
    boolean json = file != null && file.toLowerCase(Locale.ROOT).endsWith(".json");
    if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
      text = text.substring(1);
    }
    if (!json) {
      rejectAliasesAndNonFinite(text, file);
    }
    try {
      JsonNode n = (json ? JSON : YAML).readTree(text);
      return n == null ? MissingNode.getInstance() : n;
    } catch (JsonProcessingException e) {
      throw new SpecException(file, List.of(parseError(e, json ? "JSON" : "YAML")));
    }
  }

  private static final Pattern NON_FINITE = Pattern.compile("[-+]?\\.(?:inf|nan)", Pattern.CASE_INSENSITIVE);

  /**
   * A first pass over the YAML events for what the tree would get wrong: an alias ({@code *name}) would be read
   * as the plain string "name", and {@code .nan} or {@code .inf} fail as a "malformed number". Aliases are
   * rejected rather than expanded: a spec is short enough to write out, and expansion is how a small YAML file
   * becomes a huge document. Syntax errors are left to the tree reader, which reports them with their place.
   */
  private static void rejectAliasesAndNonFinite(String text, String file) {
    List<String> errors = new ArrayList<>();
    try (com.fasterxml.jackson.dataformat.yaml.YAMLParser p =
        (com.fasterxml.jackson.dataformat.yaml.YAMLParser) YAML.getFactory().createParser(text)) {
      com.fasterxml.jackson.core.JsonToken tok;
      while ((tok = p.nextToken()) != null && errors.size() < MAX_ERRORS) {
        JsonLocation at = p.currentTokenLocation();
        String where = "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
        if (p.isCurrentAlias()) {
          errors.add(where + "YAML aliases are not supported (*" + p.getText() + "); write the value out in full");
        } else if (tok == com.fasterxml.jackson.core.JsonToken.VALUE_NUMBER_FLOAT
            && NON_FINITE.matcher(p.getText()).matches()) {
          errors.add(where + field(p.getParsingContext()) + ": must be a finite number, got " + p.getText());
        }
      }
    } catch (IOException e) {
      // a syntax error: the tree reader reports it
    }
    if (!errors.isEmpty()) {
      throw new SpecException(file, errors);
    }
  }

  /** The field a parser is at, as spec errors name fields: {@code tensors[0].args.std}. */
  private static String field(com.fasterxml.jackson.core.JsonStreamContext c) {
    List<com.fasterxml.jackson.core.JsonStreamContext> chain = new ArrayList<>();
    for (com.fasterxml.jackson.core.JsonStreamContext x = c; x != null && !x.inRoot(); x = x.getParent()) {
      chain.add(0, x);
    }
    StringBuilder b = new StringBuilder();
    for (com.fasterxml.jackson.core.JsonStreamContext x : chain) {
      if (x.inArray()) {
        b.append('[').append(x.getCurrentIndex()).append(']');
      } else if (x.getCurrentName() != null) {
        b.append(b.length() == 0 ? "" : ".").append(x.getCurrentName());
      }
    }
    return b.length() == 0 ? "the job spec" : b.toString();
  }

  private static String parseError(JsonProcessingException e, String lang) {
    if (e.getCause() instanceof MarkedYAMLException) {
      MarkedYAMLException y = (MarkedYAMLException) e.getCause();
      String problem = oneLine(y.getProblem() == null ? y.getMessage() : y.getProblem());
      String ctx = "";
      if (y.getContext() != null) {
        ctx = " (" + oneLine(y.getContext()) + (y.getContextMark() == null ? "" : " at " + at(y.getContextMark())) + ")";
      }
      String where = y.getProblemMark() == null ? "" : at(y.getProblemMark()) + ": ";
      return where + "invalid " + lang + ": " + problem + ctx;
    }
    String msg = oneLine(e.getOriginalMessage() == null ? String.valueOf(e.getMessage()) : e.getOriginalMessage());
    JsonLocation loc = e.getLocation();
    String where = loc != null && loc.getLineNr() > 0
        ? "line " + loc.getLineNr() + (loc.getColumnNr() > 0 ? ", column " + loc.getColumnNr() : "") + ": "
        : "";
    Matcher dup = DUPLICATE.matcher(msg);
    if (dup.find()) {
      return where + "duplicate key '" + dup.group(1) + "'";
    }
    if (msg.startsWith("Trailing token")) {
      return where + "unexpected content after the job spec (a second document?)";
    }
    return where + "invalid " + lang + ": " + msg;
  }

  private static String at(Mark m) {
    return "line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1);
  }

  private static String oneLine(String s) {
    return s.trim().replaceAll("\\s*\\n\\s*", " ");
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
          "the job spec must be a mapping with keys seed, dtype, format, tensors; got " + show(root)));
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

    String format = FORMATS.get(0);
    if (root.has("format")) {
      JsonNode f = root.get("format");
      if (!f.isTextual()) {
        error("format: must be a string, got " + show(f));
      } else {
        try {
          format = format(f.asText());
        } catch (IllegalArgumentException e) {
          error("format: " + e.getMessage());
        }
      }
    }

    List<Entry> entries = List.of();
    JsonNode t = root.get("tensors");
    if (t == null) {
      error("missing field 'tensors'");
    } else {
      entries = entries(t, "tensors", List.of());
    }

    List<TensorSpec> tensors = new ArrayList<>();
    long count = count(entries);
    if (count > MAX_TENSORS) {
      error("tensors: the repeat blocks expand to " + (count == Long.MAX_VALUE ? "more than " + MAX_TENSORS : count)
          + " tensors; at most " + MAX_TENSORS + " are supported");
    } else {
      expand(entries, new LinkedHashMap<>(), new HashMap<>(), seed, dtypeOk ? dtype : null, tensors);
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
    if (!errors.isEmpty()) {
      throw failure();
    }
    return new JobSpec(file, seed, dtype, format, tensors, warnings);
  }

  /** parquet or arrow, any case. */
  static String format(String f) {
    String k = f.trim().toLowerCase(Locale.ROOT);
    if (!FORMATS.contains(k)) {
      throw new IllegalArgumentException("unknown format '" + f + "'; use one of " + String.join(", ", FORMATS));
    }
    return k;
  }

  private SpecException failure() {
    List<String> e = new ArrayList<>(errors);
    if (suppressed > 0) {
      e.add("... and " + suppressed + " more error" + (suppressed == 1 ? "" : "s"));
    }
    return new SpecException(file, e);
  }

  private void error(String e) {
    if (errors.size() < MAX_ERRORS) {
      errors.add(e);
    } else {
      suppressed++;
    }
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

  private List<Entry> entries(JsonNode list, String path, List<String> bound) {
    if (!list.isArray()) {
      error(path + ": must be a list of tensors, got " + show(list));
      return List.of();
    }
    if (list.isEmpty()) {
      error(path + ": must not be empty");
      return List.of();
    }
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      JsonNode e = list.get(i);
      String p = path + "[" + i + "]";
      if (!e.isObject()) {
        error(p + ": must be a mapping (a tensor, or a repeat block), got " + show(e));
      } else if (e.has("repeat")) {
        out.add(repeat(e, p, bound));
      } else {
        out.add(tensor(e, p, bound));
      }
    }
    return out;
  }

  private Repeat repeat(JsonNode node, String p, List<String> bound) {
    Repeat r = new Repeat(p);
    int before = errors.size() + suppressed;
    unknownKeys(node, REPEAT_KEYS, p, " in a repeat block");
    JsonNode spec = node.get("repeat");
    String rp = p + ".repeat";
    if (!spec.isObject() || spec.size() != 1) {
      error(rp + ": must bind one variable to a count or a [start, end] range, like {i: 12} or {i: [2, 5]}; got "
          + show(spec));
    } else {
      String var = spec.fieldNames().next();
      JsonNode v = spec.get(var);
      if (!IDENT.matcher(var).matches()) {
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
    r.ok = errors.size() + suppressed == before;
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

  private Tmpl tensor(JsonNode node, String p, List<String> bound) {
    Tmpl t = new Tmpl(p, templates++);
    int before = errors.size() + suppressed;
    JsonNode n = node.get("name");
    if (n == null) {
      error(p + ": missing field 'name'");
    } else if (!n.isTextual()) {
      error(p + ": name: must be a string, got " + show(n));
    } else if (n.asText().isEmpty()) {
      error(p + ": name: must not be empty");
    } else {
      t.rawName = n.asText();
      t.nameParts = placeholders(t, bound);
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
    t.ok = errors.size() + suppressed == before;
    return t;
  }

  private List<Object> placeholders(Tmpl t, List<String> bound) {
    String name = t.rawName;
    List<Object> parts = new ArrayList<>();
    StringBuilder lit = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '}') {
        error(t.label() + ": name: '}' without a matching '{'");
        return null;
      }
      if (c != '{') {
        lit.append(c);
        continue;
      }
      int j = name.indexOf('}', i);
      if (j < 0) {
        error(t.label() + ": name: '{' without a matching '}'");
        return null;
      }
      String var = name.substring(i + 1, j);
      if (!IDENT.matcher(var).matches()) {
        error(t.label() + ": name: '{" + var + "}' is not a placeholder; write {variable} with the variable of "
            + "an enclosing repeat");
        return null;
      }
      if (!bound.contains(var)) {
        error(t.label() + ": name: unknown placeholder '{" + var + "}'"
            + (bound.isEmpty() ? "; the tensor is not inside a repeat block"
                : "; the enclosing repeats bind " + String.join(", ", bound)));
        return null;
      }
      if (lit.length() > 0) {
        parts.add(lit.toString());
        lit.setLength(0);
      }
      parts.add(new Var(var));
      i = j;
    }
    if (lit.length() > 0) {
      parts.add(lit.toString());
    }
    return parts;
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

  // -------------------------------------------------------------------------------------------- expansion

  /** How many tensors the entries expand to, saturating at Long.MAX_VALUE. */
  private static long count(List<Entry> entries) {
    long n = 0;
    for (Entry e : entries) {
      long c = 1;
      if (e instanceof Repeat) {
        Repeat r = (Repeat) e;
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

  private void expand(List<Entry> entries, LinkedHashMap<String, Long> binding, Map<String, String> seen,
      long seed, Dtype dflt, List<TensorSpec> out) {
    for (Entry e : entries) {
      if (e instanceof Repeat) {
        Repeat r = (Repeat) e;
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
      Tmpl t = (Tmpl) e;
      if (!t.ok || t.failed) {
        continue;
      }
      StringBuilder b = new StringBuilder();
      for (Object part : t.nameParts) {
        b.append(part instanceof Var ? String.valueOf(binding.get(((Var) part).name)) : (String) part);
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
          error(label(location, name) + ": duplicate tensor name (first at " + first + ")");
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
        init = ByName.resolve(Target.of(name, t.shape, dt, seed), t.init, t.args);
      } catch (InitException x) {
        error(t.label() + ": " + describe(t.init, x));
        t.failed = true;
        continue;
      }
      String tooBig = sizeError(init);
      if (tooBig != null) {
        error(label(location, name) + ": " + tooBig);
        t.failed = true;
        continue;
      }
      if (!t.warned) {
        for (String w : init.warnings()) {
          warnings.add(label(location, name) + ": init: " + w);
        }
        t.warned = true;
      }
      out.add(new TensorSpec(name, t.shape, dt, t.dtype != null, t.init, t.args, location, t.id, init));
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

  // ----------------------------------------------------------------------------------- initializer errors

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
    java.util.Set<Integer> failed = new java.util.HashSet<>();
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
      if (errs.size() < MAX_ERRORS) {
        errs.add(label(t.location(), t.name()) + ": " + error);
      }
    }
    if (!errs.isEmpty()) {
      throw new SpecException(file, errs);
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------ misc

  /** A value as it appears in a message: JSON text, shortened. */
  static String show(JsonNode n) {
    if (n == null || n.isMissingNode()) {
      return "nothing";
    }
    String s = n.toString();
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }
}
