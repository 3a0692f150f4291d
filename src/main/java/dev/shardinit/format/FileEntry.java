package dev.shardinit.format;

/**
 * One data file of a tensor as the manifest lists it: its path relative to the checkpoint, the flat elements
 * {@code [start, end)} it holds, its rows, its size, the CRC-32C of its raw little-endian values and their
 * statistics (population std).
 */
public record FileEntry(String path, long start, long end, int rows, long bytes, int crc32c, double min,
    double max, double mean, double std) implements java.io.Serializable {

  /** The number of elements the file holds. */
  public long elements() {
    return end - start;
  }
}
