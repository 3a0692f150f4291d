package dev.shardinit.plan;

/**
 * CRC-32C combination: {@code combine(crc(A), crc(B), len(B)) == crc(A ‖ B)}, so the checksum of a whole
 * tensor follows from its files' checksums whatever the shard boundaries (zlib's crc32_combine method, by
 * powers of the CRC's shift operator over GF(2), for the reflected Castagnoli polynomial).
 */
public final class Crc32c {
  private static final int POLY = 0x82F63B78;

  private Crc32c() {}

  /** The CRC-32C of the concatenation of a block with checksum {@code crc1} and one of length {@code len2}. */
  public static int combine(int crc1, int crc2, long len2) {
    if (len2 <= 0) {
      return crc1;
    }
    int[] odd = new int[32];
    int[] even = new int[32];
    odd[0] = POLY; // the operator for one zero bit
    int row = 1;
    for (int n = 1; n < 32; n++) {
      odd[n] = row;
      row <<= 1;
    }
    square(even, odd); // two zero bits
    square(odd, even); // four zero bits
    long len = len2;
    do {
      square(even, odd); // first pass: one zero byte
      if ((len & 1) != 0) {
        crc1 = times(even, crc1);
      }
      len >>>= 1;
      if (len == 0) {
        break;
      }
      square(odd, even);
      if ((len & 1) != 0) {
        crc1 = times(odd, crc1);
      }
      len >>>= 1;
    } while (len != 0);
    return crc1 ^ crc2;
  }

  private static int times(int[] mat, int vec) {
    int sum = 0;
    for (int i = 0; vec != 0; i++, vec >>>= 1) {
      if ((vec & 1) != 0) {
        sum ^= mat[i];
      }
    }
    return sum;
  }

  private static void square(int[] square, int[] mat) {
    for (int n = 0; n < 32; n++) {
      square[n] = times(mat, mat[n]);
    }
  }
}
