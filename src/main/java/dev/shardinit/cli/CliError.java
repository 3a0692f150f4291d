package dev.shardinit.cli;

/** Bad input from the user: reported as one line on stderr with exit code 2, before anything is written. */
public final class CliError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CliError(String message) {
    super(message);
  }
}
