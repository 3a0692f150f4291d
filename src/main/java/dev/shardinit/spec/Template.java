package dev.shardinit.spec;

import dev.shardinit.init.Dtype;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The entries of a spec's tensor lists as written, before repeat blocks are expanded. */
final class Template {
  private Template() {}

  /** An entry of a tensors list: a tensor or a repeat block. */
  abstract static class Entry {
    final String path;

    Entry(String path) {
      this.path = path;
    }
  }

  /** A tensor as written, placeholders unresolved. */
  static final class Tmpl extends Entry {
    final int id;
    String rawName;
    List<Object> nameParts; // String literals and Var references
    long[] shape;
    Dtype dtype; // null: the job's default
    String init;
    Map<String, Object> args = new LinkedHashMap<>();
    Long paddingIdx;
    boolean ok = true;
    boolean failed;
    boolean dupReported;
    boolean warned;

    Tmpl(String path, int id) {
      super(path);
      this.id = id;
    }

    String label() {
      return SpecException.label(path, rawName);
    }
  }

  static final class Var {
    final String name;

    Var(String name) {
      this.name = name;
    }
  }

  static final class Repeat extends Entry {
    String var;
    long start;
    long end;
    List<Entry> children = List.of();
    boolean ok = true;

    Repeat(String path) {
      super(path);
    }
  }
}
