package dev.shardinit.init;

/** Numbers in messages: integers without a fraction, others as the shortest round-tripping decimal. */
final class Fmt {
  private Fmt() {}

  static String num(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }
}
