package dev.shardinit.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A name's {@code {var}} placeholders: split into literal parts and variable references, each variable bound by
 * an enclosing repeat block. Names cannot hold literal braces.
 */
final class Placeholders {
  static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private Placeholders() {}

  /**
   * The parts of {@code name} (String literals and {@link Template.Var}s), or null after adding one error,
   * prefixed with {@code label}, when a brace is unmatched or a placeholder is not a bound variable.
   */
  static List<Object> split(String name, String label, List<String> bound, Errors errors) {
    List<Object> parts = new ArrayList<>();
    StringBuilder lit = new StringBuilder();
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '}') {
        errors.add(label + ": name: '}' without a matching '{'");
        return null;
      }
      if (c != '{') {
        lit.append(c);
        continue;
      }
      int j = name.indexOf('}', i);
      if (j < 0) {
        errors.add(label + ": name: '{' without a matching '}'");
        return null;
      }
      String var = name.substring(i + 1, j);
      if (!IDENT.matcher(var).matches()) {
        errors.add(label + ": name: '{" + var + "}' is not a placeholder; write {variable} with the variable of "
            + "an enclosing repeat");
        return null;
      }
      if (!bound.contains(var)) {
        errors.add(label + ": name: unknown placeholder '{" + var + "}'"
            + (bound.isEmpty() ? "; the tensor is not inside a repeat block"
                : "; the enclosing repeats bind " + String.join(", ", bound)));
        return null;
      }
      if (lit.length() > 0) {
        parts.add(lit.toString());
        lit.setLength(0);
      }
      parts.add(new Template.Var(var));
      i = j;
    }
    if (lit.length() > 0) {
      parts.add(lit.toString());
    }
    return parts;
  }
}
