package dev.shardinit.init;

import java.util.Locale;

/**
 * An argument or tensor that an initializer rejects; the message names the argument and its value, as torch's
 * does, and the exception says which argument it is about as data ({@link #argument}, {@link #aboutArguments}),
 * so that a job spec's error can name the field without reading the message.
 */
public final class InitException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String argument;
  private final boolean unknown;
  private final boolean several;

  private InitException(String message, String argument, boolean unknown, boolean several) {
    super(message);
    this.argument = argument;
    this.unknown = unknown;
    this.several = several;
  }

  /** An error about the tensor or the call as a whole. */
  public InitException(String message) {
    this(message, null, false, false);
  }

  static InitException of(String format, Object... args) {
    return new InitException(String.format(Locale.ROOT, format, args));
  }

  /** An error about the value of one argument (as torch names it). */
  static InitException argument(String name, String format, Object... args) {
    return new InitException(String.format(Locale.ROOT, format, args), name, false, false);
  }

  /** An argument the function does not take. */
  static InitException unknownArgument(String name, String format, Object... args) {
    return new InitException(String.format(Locale.ROOT, format, args), name, true, false);
  }

  /** An error about how several arguments relate (trunc_normal_'s a and b). */
  static InitException arguments(String format, Object... args) {
    return new InitException(String.format(Locale.ROOT, format, args), null, false, true);
  }

  /** The argument this error is about, or null. */
  public String argument() {
    return argument;
  }

  /** True when the argument is one the function does not take. */
  public boolean unknownArgument() {
    return unknown;
  }

  /** True when the error is about how several arguments relate, not one. */
  public boolean aboutArguments() {
    return several;
  }
}
