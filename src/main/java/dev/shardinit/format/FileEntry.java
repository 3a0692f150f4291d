package dev.shardinit.format;

/**
 * One data file of a tensor as the manifest lists it: its path relative to the checkpoint, the flat elements
 * {@code [start, end)} it holds, its rows, its size, the CRC-32C of its raw little-endian values and their
 * statistics (population std). In a packed checkpoint (safetensors) an entry is a region of the file at
 * {@code path}: {@code offset} is the position in the file of its first value, {@code bytes} the size of its
 * values, and {@code rows} 0; elsewhere {@code offset} is -1.
 */
public record FileEntry(String path, long start, long end, int rows, long bytes, int crc32c, double min,
    double max, double mean, double std, long offset) implements java.io.Serializable {

  /** A file of its own (Parquet, Arrow). */
  public FileEntry(String path, long start, long end, int rows, long bytes, int crc32c, double min, double max,
      double mean, double std) {
    this(path, start, end, rows, bytes, crc32c, min, max, mean, std, -1);
  }

  /** The number of elements the file holds. */
  public long elements() {
    return end - start;
  }
}
