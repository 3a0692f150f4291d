package dev.shardinit.commit;

/**
 * An output that cannot be used as given, found before anything is written: an unusable path, a directory
 * that is not ours to replace, one another run holds, too little space. One line naming {@code --out}.
 */
public final class OutputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  OutputException(String message) {
    super(message);
  }
}
