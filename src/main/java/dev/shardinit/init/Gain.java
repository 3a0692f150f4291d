package dev.shardinit.init;

/** torch.nn.init.calculate_gain: the recommended gain for a nonlinearity. */
public final class Gain {
  private Gain() {}

  /**
   * The gain of {@code nonlinearity}:
   * linear, conv1d/2d/3d, conv_transpose1d/2d/3d, sigmoid: 1; tanh: 5/3; relu: sqrt(2);
   * leaky_relu: sqrt(2 / (1 + slope^2)) with slope = {@code param}, or 0.01 when param is null; selu: 3/4.
   *
   * @param param the negative slope of leaky_relu: null or a {@link Number}; a Boolean or anything else is
   *     rejected as torch rejects it. Ignored by the other nonlinearities.
   */
  public static double calculate(String nonlinearity, Object param) {
    switch (nonlinearity) {
      case "linear": case "conv1d": case "conv2d": case "conv3d":
      case "conv_transpose1d": case "conv_transpose2d": case "conv_transpose3d": case "sigmoid":
        return 1.0;
      case "tanh":
        return 5.0 / 3;
      case "relu":
        return Math.sqrt(2.0);
      case "leaky_relu": {
        double slope = negativeSlope(param);
        return Math.sqrt(2.0 / (1 + slope * slope));
      }
      case "selu":
        return 3.0 / 4;
      default:
        throw InitException.argument("nonlinearity", "Unsupported nonlinearity %s", nonlinearity);
    }
  }

  private static double negativeSlope(Object param) {
    if (param == null) {
      return 0.01;
    }
    if (param instanceof Number && !(param instanceof Boolean)) {
      return ((Number) param).doubleValue();
    }
    String shown = param instanceof Boolean ? ((Boolean) param ? "True" : "False") : String.valueOf(param);
    throw InitException.argument("a", "negative_slope %s not a valid number", shown); // kaiming's a
  }
}
