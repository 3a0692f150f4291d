package dev.shardinit.spec;

import java.util.List;

/**
 * A job spec that cannot be read or is invalid. Carries every error found, each one line that names the
 * tensor (when known) and the field; {@link #getMessage()} prefixes each with the file name, one per line.
 */
public final class SpecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final List<String> errors;

  /** Errors found in {@code file} (null when the errors are not about a file's contents). */
  public SpecException(String file, List<String> errors) {
    super(render(file, errors));
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a SpecException needs at least one error");
    }
    this.file = file;
    this.errors = List.copyOf(errors);
  }

  /** One error that is not about a file's contents (an unreadable file, an invalid override). */
  public SpecException(String message) {
    this(null, List.of(message));
  }

  /** Names longer than this are shortened in messages, so that an error stays one readable line. */
  static final int SHOWN_NAME = 80;

  /**
   * How an error names a tensor: where it comes from in the spec and its name, {@code tensors[3] 'w'}; a name
   * longer than {@value #SHOWN_NAME} characters is shortened (its head, its tail and its length).
   */
  public static String label(String location, String name) {
    if (name == null) {
      return location;
    }
    if (name.length() <= SHOWN_NAME) {
      return location + " '" + name + "'";
    }
    return location + " '" + name.substring(0, SHOWN_NAME - 20) + "..." + name.substring(name.length() - 10)
        + "' (" + name.length() + " characters)";
  }

  /** The file name the errors are about, or null. */
  public String file() {
    return file;
  }

  /** The errors, one line each, without the file name. */
  public List<String> errors() {
    return errors;
  }

  private static String render(String file, List<String> errors) {
    StringBuilder b = new StringBuilder();
    for (String e : errors) {
      if (b.length() > 0) {
        b.append('\n');
      }
      if (file != null) {
        b.append(file).append(": ");
      }
      b.append(e);
    }
    return b.toString();
  }
}
