package dev.shardinit.init;

import java.util.Locale;

/** torch.nn.init's _calculate_fan_in_and_fan_out and _calculate_correct_fan. */
public final class Fans {
  private Fans() {}

  /**
   * {@code {fan_in, fan_out}}: fan_in = shape[1] * r, fan_out = shape[0] * r, where the receptive field r is
   * the product of shape[2:].
   */
  public static long[] inOut(long[] shape) {
    if (shape.length < 2) {
      throw new InitException(
          "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
    }
    long receptive = 1;
    for (int i = 2; i < shape.length; i++) {
      receptive *= shape[i];
    }
    return new long[] {shape[1] * receptive, shape[0] * receptive};
  }

  /** The fan that {@code mode} (fan_in or fan_out, any case) selects. */
  public static long forMode(long[] shape, String mode) {
    String m = normalizeMode(mode);
    long[] f = inOut(shape);
    return m.equals("fan_in") ? f[0] : f[1];
  }

  /** Lower-cases {@code mode} and checks it is fan_in or fan_out. */
  public static String normalizeMode(String mode) {
    String m = mode.toLowerCase(Locale.ROOT);
    if (!m.equals("fan_in") && !m.equals("fan_out")) {
      throw InitException.argument("mode", "Mode %s not supported, please use one of ['fan_in', 'fan_out']", m);
    }
    return m;
  }
}
