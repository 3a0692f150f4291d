package dev.shardinit.spec;

import java.util.ArrayList;
import java.util.List;

/** The error lines of one spec: the first {@link #MAX_ERRORS} kept, the rest counted. */
final class Errors {
  static final int MAX_ERRORS = 50;

  private final String file;
  private final List<String> lines = new ArrayList<>();
  private int suppressed;

  Errors(String file) {
    this.file = file;
  }

  void add(String e) {
    if (lines.size() < MAX_ERRORS) {
      lines.add(e);
    } else {
      suppressed++;
    }
  }

  boolean any() {
    return !lines.isEmpty();
  }

  /** Every error so far, kept or not (to tell whether an entry added any). */
  int count() {
    return lines.size() + suppressed;
  }

  /** The errors as one exception, ending with how many more there were. */
  SpecException failure() {
    List<String> e = new ArrayList<>(lines);
    if (suppressed > 0) {
      e.add("... and " + suppressed + " more error" + (suppressed == 1 ? "" : "s"));
    }
    return new SpecException(file, e);
  }
}
