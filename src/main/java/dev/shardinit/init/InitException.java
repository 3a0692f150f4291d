package dev.shardinit.init;

/** An argument or tensor that an initializer rejects; the message names the argument and its value. */
public final class InitException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InitException(String message) {
    super(message);
  }

  static InitException of(String format, Object... args) {
    return new InitException(String.format(java.util.Locale.ROOT, format, args));
  }
}
