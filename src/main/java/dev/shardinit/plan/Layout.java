package dev.shardinit.plan;

/**
 * How a tensor's flat elements are cut into file rows ("pieces"), independently of sharding: a tensor of two
 * or more dimensions is viewed as (shape[0], numel / shape[0]) and each row of that view is one piece, split
 * every {@link #PIECE_CAP} elements when longer; 0-D and 1-D tensors are one row cut the same way. Shards
 * always start and end on piece boundaries, so the pieces of a tensor are the same for every shard size.
 */
public final class Layout {
  /** The most elements in one file row: 2^20 (4 MiB of float32). */
  public static final long PIECE_CAP = 1L << 20;

  private Layout() {}

  /** Elements per row of the (shape[0], numel / shape[0]) view; numel for 0-D and 1-D tensors. */
  public static long rowLength(long[] shape, long numel) {
    if (shape.length >= 2 && shape[0] > 0) {
      return numel / shape[0];
    }
    return Math.max(numel, 1);
  }

  /** The lengths of the pieces of {@code [start, end)}, which must lie on piece boundaries. */
  public static long[] pieces(long rowLength, long start, long end) {
    int count = 0;
    for (long at = start; at < end; at = next(rowLength, at, end)) {
      count++;
    }
    long[] lengths = new long[count];
    int i = 0;
    for (long at = start; at < end; ) {
      long nx = next(rowLength, at, end);
      lengths[i++] = nx - at;
      at = nx;
    }
    return lengths;
  }

  /** True when a piece starts at element {@code at} (or {@code at} is the end of the tensor). */
  public static boolean isBoundary(long rowLength, long numel, long at) {
    return at == numel || (at % rowLength) % PIECE_CAP == 0;
  }

  /** The number of pieces of {@code [start, end)}, which must lie on piece boundaries. */
  public static long count(long rowLength, long start, long end) {
    if (end <= start) {
      return 0;
    }
    long firstRow = start - start % rowLength;
    if (end <= firstRow + rowLength) {
      return ceilDiv(end - start, PIECE_CAP);
    }
    long n = ceilDiv(firstRow + rowLength - start, PIECE_CAP);
    long lastRow = end - 1 - (end - 1) % rowLength;
    long fullRows = (lastRow - firstRow) / rowLength - 1;
    n += fullRows * ceilDiv(rowLength, PIECE_CAP);
    return n + ceilDiv(end - lastRow, PIECE_CAP);
  }

  private static long ceilDiv(long a, long b) {
    return a / b + (a % b == 0 ? 0 : 1);
  }

  /** The end of the piece that starts at {@code at}. */
  static long next(long rowLength, long at, long end) {
    long rowStart = at - at % rowLength;
    long inRow = at - rowStart;
    long pieceEnd = rowStart + Math.min(rowLength, (inRow / PIECE_CAP + 1) * PIECE_CAP);
    return Math.min(pieceEnd, end);
  }
}
