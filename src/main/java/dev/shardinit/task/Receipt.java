package dev.shardinit.task;

import java.io.Serializable;

/** What a task reports for one file it wrote: where, which elements, how big, and checksums and stats. */
public final class Receipt implements Serializable {
  private static final long serialVersionUID = 1L;

  public final int tensor;
  public final String path;
  public final long start;
  public final long end;
  public final int rows;
  public final long bytes;
  /** CRC-32C of the raw little-endian values of the file. */
  public final int crc32c;
  public final double min;
  public final double max;
  public final double mean;
  public final double std;

  public Receipt(int tensor, String path, long start, long end, int rows, long bytes, int crc32c, double min,
      double max, double mean, double std) {
    this.tensor = tensor;
    this.path = path;
    this.start = start;
    this.end = end;
    this.rows = rows;
    this.bytes = bytes;
    this.crc32c = crc32c;
    this.min = min;
    this.max = max;
    this.mean = mean;
    this.std = std;
  }
}
