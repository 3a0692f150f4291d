package dev.shardinit.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardinit.spec.SpecException;
import java.util.ArrayList;
import java.util.List;

/**
 * A Hugging Face config.json as a model family reads it: each field by its name (or the alias transformers'
 * {@code attribute_map} gives it), typed, with the config class's default where transformers has one and the
 * family does not insist on the field. Every problem is collected as one line naming the field; {@link #done}
 * throws them together.
 */
final class HfConfig {
  private final ObjectNode root;
  private final String file;
  private final String family;
  private final List<String> errors = new ArrayList<>();

  HfConfig(ObjectNode root, String file, String family) {
    this.root = root;
    this.file = file;
    this.family = family;
  }

  ObjectNode root() {
    return root;
  }

  String family() {
    return family;
  }

  /** The field's node under its name or the first alias present, or null when absent or JSON null. */
  private JsonNode get(String field, String... aliases) {
    JsonNode n = root.get(field);
    for (int i = 0; (n == null || n.isNull()) && i < aliases.length; i++) {
      n = root.get(aliases[i]);
    }
    return n == null || n.isNull() ? null : n;
  }

  private String names(String field, String... aliases) {
    return aliases.length == 0 ? "'" + field + "'" : "'" + field + "' (or '" + String.join("', '", aliases) + "')";
  }

  /** A positive integer the family needs: its absence is an error, not transformers' class default. */
  long size(String field, String... aliases) {
    JsonNode n = get(field, aliases);
    if (n == null) {
      error("missing field " + names(field, aliases) + ", which " + family + " needs");
      return 1;
    }
    return positive(field, n);
  }

  /** A positive integer with transformers' default. */
  long size(long dflt, String field, String... aliases) {
    JsonNode n = get(field, aliases);
    return n == null ? dflt : positive(field, n);
  }

  /** An integer (any sign) or null when absent. */
  Long optionalInteger(String field) {
    JsonNode n = get(field);
    if (n == null) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      error(field + ": must be an integer, got " + show(n));
      return null;
    }
    return n.longValue();
  }

  private long positive(String field, JsonNode n) {
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 1) {
      error(field + ": must be a positive integer, got " + show(n));
      return 1;
    }
    return n.longValue();
  }

  /** A finite number with transformers' default. */
  double number(double dflt, String field) {
    JsonNode n = get(field);
    if (n == null) {
      return dflt;
    }
    if (!n.isNumber() || !Double.isFinite(n.doubleValue())) {
      error(field + ": must be a number, got " + show(n));
      return dflt;
    }
    return n.doubleValue();
  }

  boolean bool(boolean dflt, String field) {
    JsonNode n = get(field);
    if (n == null) {
      return dflt;
    }
    if (!n.isBoolean()) {
      error(field + ": must be true or false, got " + show(n));
      return dflt;
    }
    return n.booleanValue();
  }

  String string(String dflt, String field) {
    JsonNode n = get(field);
    if (n == null) {
      return dflt;
    }
    if (!n.isTextual()) {
      error(field + ": must be a string, got " + show(n));
      return dflt;
    }
    return n.asText();
  }

  /**
   * The config's {@code initializer_range} as {@code PreTrainedModel._init_weights} uses it: {@code
   * initializer_range or 0.02}, so 0 means 0.02; transformers' configs accept [0, 1].
   */
  double initializerRange() {
    double r = rawInitializerRange();
    return r == 0.0 ? 0.02 : r;
  }

  /** {@code initializer_range} as written (default 0.02), for the families that read it without the fallback. */
  double rawInitializerRange() {
    double r = number(0.02, "initializer_range");
    if (!(r >= 0.0 && r <= 1.0)) {
      error("initializer_range: Value must be greater or equal to 0.0 and smaller or equal to 1.0, got " + r);
      return 0.02;
    }
    return r;
  }

  void error(String line) {
    if (!errors.contains(line)) {
      errors.add(line);
    }
  }

  boolean ok() {
    return errors.isEmpty();
  }

  /** Throws the problems found, one line each, prefixed by the file; returns when there are none. */
  void done() {
    if (!errors.isEmpty()) {
      throw new SpecException(file, errors);
    }
  }

  static String show(JsonNode n) {
    String s = n.toString();
    return s.length() > 60 ? s.substring(0, 57) + "..." : s;
  }
}
