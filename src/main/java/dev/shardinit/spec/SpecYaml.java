package dev.shardinit.spec;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes a job spec's tree as the YAML a person reviews and edits (docs/JOBS.md): the top-level keys in the
 * documented order, a tensor per line as a flow mapping, repeat blocks kept, a model's config last in block style.
 * Reading the text back ({@link JobSpec#parse}) gives the same tree: strings are quoted wherever YAML would read
 * them as something else, and every float keeps a decimal point so it stays a float.
 */
public final class SpecYaml {
  private static final List<String> TOP_ORDER = List.of("seed", "dtype", "format", "tensors", "config");
  private static final List<String> TENSOR_ORDER = List.of("name", "module", "shape", "dtype", "init", "args",
      "padding_idx");
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-/]*");
  private static final Set<String> RESERVED = Set.of("true", "false", "yes", "no", "on", "off", "null", "y", "n");

  private SpecYaml() {}

  /** The YAML text of {@code spec}, after {@code header} as comment lines. */
  public static String write(JsonNode spec, List<String> header) {
    StringBuilder b = new StringBuilder();
    for (String h : header) {
      b.append(h.isEmpty() ? "#" : "# " + h).append('\n');
    }
    for (String k : TOP_ORDER) {
      JsonNode v = spec.get(k);
      if (v == null) {
        continue;
      }
      b.append(k).append(':');
      if (k.equals("tensors")) {
        b.append('\n');
        entries(b, v, "  ");
      } else if (v.isObject() && !v.isEmpty()) {
        b.append('\n');
        block(b, v, "  ");
      } else {
        b.append(' ').append(flow(v)).append('\n');
      }
    }
    for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!TOP_ORDER.contains(k)) {
        b.append(key(k)).append(": ").append(flow(spec.get(k))).append('\n');
      }
    }
    return b.toString();
  }

  private static void entries(StringBuilder b, JsonNode list, String indent) {
    for (JsonNode e : list) {
      if (e.has("repeat")) {
        b.append(indent).append("- repeat: ").append(flow(e.get("repeat"))).append('\n');
        b.append(indent).append("  tensors:\n");
        entries(b, e.get("tensors"), indent + "    ");
      } else {
        b.append(indent).append("- {");
        boolean first = true;
        for (String k : TENSOR_ORDER) {
          if (e.has(k)) {
            b.append(first ? "" : ", ").append(k).append(": ").append(flow(e.get(k)));
            first = false;
          }
        }
        for (Iterator<String> it = e.fieldNames(); it.hasNext(); ) {
          String k = it.next();
          if (!TENSOR_ORDER.contains(k)) {
            b.append(first ? "" : ", ").append(key(k)).append(": ").append(flow(e.get(k)));
            first = false;
          }
        }
        b.append("}\n");
      }
    }
  }

  private static void block(StringBuilder b, JsonNode obj, String indent) {
    for (Map.Entry<String, JsonNode> f : obj.properties()) {
      b.append(indent).append(key(f.getKey())).append(':');
      JsonNode v = f.getValue();
      if (v.isObject() && !v.isEmpty()) {
        b.append('\n');
        block(b, v, indent + "  ");
      } else {
        b.append(' ').append(flow(v)).append('\n');
      }
    }
  }

  /** A value in flow style: scalars, [lists] and {mappings}. */
  static String flow(JsonNode v) {
    if (v.isObject()) {
      StringBuilder b = new StringBuilder("{");
      for (Map.Entry<String, JsonNode> f : v.properties()) {
        b.append(b.length() == 1 ? "" : ", ").append(key(f.getKey())).append(": ").append(flow(f.getValue()));
      }
      return b.append('}').toString();
    }
    if (v.isArray()) {
      StringBuilder b = new StringBuilder("[");
      for (JsonNode x : v) {
        b.append(b.length() == 1 ? "" : ", ").append(flow(x));
      }
      return b.append(']').toString();
    }
    if (v.isNull()) {
      return "null";
    }
    if (v.isBoolean()) {
      return v.asText();
    }
    if (v.isIntegralNumber()) {
      return v.bigIntegerValue().toString();
    }
    if (v.isNumber()) {
      return decimal(v.doubleValue());
    }
    return string(v.asText());
  }

  /** A float64 as a decimal with a point (YAML 1.1 reads {@code 1.0E10} as a string), exact on reading back. */
  static String decimal(double d) {
    if (!Double.isFinite(d)) {
      throw new IllegalArgumentException("not a finite number: " + d);
    }
    String s = new BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
    return s.contains(".") ? s : s + ".0";
  }

  private static String key(String k) {
    return string(k);
  }

  private static String string(String s) {
    if (PLAIN.matcher(s).matches() && !RESERVED.contains(s.toLowerCase(Locale.ROOT))) {
      return s;
    }
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\t': b.append("\\t"); break;
        case '\r': b.append("\\r"); break;
        default:
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
      }
    }
    return b.append('"').toString();
  }
}
