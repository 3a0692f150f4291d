package dev.shardinit.cli;

/** A run that failed or was interrupted, after its clean-up: one line for the user and the exit code. */
final class Failed extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final int code;

  Failed(int code, String message) {
    super(message);
    this.code = code;
  }
}
