package dev.shardinit.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardinit.init.Dtype;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The module entries of a spec's tensors lists, {@code {module, name, args?, dtype?}}, each rewritten into the
 * plain tensor entries it stands for ({@code {name, shape, dtype?, init, args?, padding_idx?}}), which the parser
 * then checks and expands as if they had been written out. An entry's own problems (its keys, its name's
 * placeholders, its dtype, the module and its arguments) are reported once, for the entry as written.
 */
final class ModuleEntries {
  static final List<String> KEYS = List.of("module", "name", "dtype", "args");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Errors errors;
  private int room; // the tensors module entries may still make

  /** The module entries of one spec, which together make at most {@link SpecParser#MAX_TENSORS} tensors. */
  ModuleEntries(Errors errors) {
    this(errors, SpecParser.MAX_TENSORS);
  }

  /** The module entries of one spec, which together make at most {@code room} tensors. */
  ModuleEntries(Errors errors, int room) {
    this.errors = errors;
    this.room = room;
  }

  /**
   * The tensor entries {@code node} stands for; none when it has a problem, each added to the errors. A module
   * that would make more tensors than the entries before it left room for is an error, found before the room is
   * exceeded; the spec is then too large, and every later module entry is reported the same way.
   */
  List<ObjectNode> rewrite(JsonNode node, String path, List<String> bound) {
    int before = errors.count();
    String name = null;
    JsonNode n = node.get("name");
    if (n == null) {
      errors.add(path + ": missing field 'name'");
    } else if (!n.isTextual()) {
      errors.add(path + ": name: must be a string, got " + SpecParser.show(n));
    } else if (n.asText().isEmpty()) {
      errors.add(path + ": name: must not be empty");
    } else {
      name = n.asText();
    }
    String label = SpecException.label(path, name);
    if (name != null) {
      Placeholders.split(name, label, bound, errors);
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        errors.add(label + ": unknown key '" + k + "' in a module entry; allowed: " + String.join(", ", KEYS));
      }
    }
    JsonNode dtype = node.get("dtype");
    if (dtype != null) {
      if (!dtype.isTextual()) {
        errors.add(label + ": dtype: must be a string, got " + SpecParser.show(dtype));
      } else {
        try {
          Dtype.parse(dtype.asText());
        } catch (IllegalArgumentException e) {
          errors.add(label + ": dtype: " + e.getMessage());
        }
      }
    }
    Modules.Def def = module(node.get("module"), label);
    JsonNode args = node.get("args");
    if (args != null && !args.isObject()) {
      errors.add(label + ": args: must be a mapping of argument names to values, got " + SpecParser.show(args));
      args = null;
      def = null;
    }
    if (def == null) {
      return List.of();
    }
    Params params = new Params(room);
    ModuleArgs a = new ModuleArgs(def, args);
    try {
      def.builder.build(a, params);
    } catch (ArithmeticException e) {
      a.fail(null, def.name + ": the parameters' sizes do not fit in 64 bits");
    } catch (Params.TooMany e) {
      a.fail(null, def.name + ": the module entries expand to more than " + SpecParser.MAX_TENSORS + " tensors; a "
          + "job holds at most " + SpecParser.MAX_TENSORS);
      room = 0;
    }
    room -= Math.min(room, params.list().size());
    a.checkUnknown();
    for (String problem : a.problems()) {
      errors.add(label + ": " + problem);
    }
    if (a.ok() && params.list().isEmpty()) {
      errors.add(label + ": args: " + def.name + " with these arguments has no parameters; leave the entry out");
    }
    if (errors.count() != before) {
      return List.of();
    }
    List<ObjectNode> out = new ArrayList<>();
    for (Params.Param p : params.list()) {
      out.add(tensor(name + "." + p.suffix, p, dtype));
    }
    return out;
  }

  private Modules.Def module(JsonNode m, String label) {
    if (!m.isTextual()) {
      errors.add(label + ": module: must be a string, got " + SpecParser.show(m));
      return null;
    }
    try {
      return Modules.find(m.asText());
    } catch (IllegalArgumentException e) {
      errors.add(label + ": module: " + e.getMessage());
      return null;
    }
  }

  /** A plain tensor entry, as a spec would spell it. */
  private static ObjectNode tensor(String name, Params.Param p, JsonNode dtype) {
    ObjectNode t = NODES.objectNode();
    t.put("name", name);
    ArrayNode shape = t.putArray("shape");
    for (long d : p.shape) {
      shape.add(d);
    }
    if (dtype != null) {
      t.set("dtype", dtype);
    }
    t.put("init", p.init);
    if (!p.args.isEmpty()) {
      ObjectNode args = t.putObject("args");
      for (Map.Entry<String, Double> e : p.args.entrySet()) {
        args.put(e.getKey(), e.getValue());
      }
    }
    if (p.paddingIdx != null) {
      t.put("padding_idx", (long) p.paddingIdx);
    }
    return t;
  }
}
