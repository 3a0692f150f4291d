package dev.shardinit.spec;

/**
 * nn.LayerNorm, nn.RMSNorm, nn.GroupNorm and nn.BatchNorm1d/2d/3d: weights ones, biases and running means zeros,
 * running variances ones, as their resets make them. BatchNorm's num_batches_tracked (an int64 counter) is left
 * out: shardinit has no integer dtypes.
 */
final class NormModules {
  private NormModules() {}

  /**
   * nn.LayerNorm(normalized_shape, elementwise_affine=True, bias=True): weight ones and bias zeros of
   * normalized_shape (an integer or a list), when elementwise_affine.
   */
  static void layerNorm(ModuleArgs a, Params p) {
    long[] shape = a.shape("normalized_shape");
    Boolean affine = a.flag("elementwise_affine", true);
    Boolean bias = a.flag("bias", true);
    if (!a.ok() || !affine) {
      return;
    }
    p.ones("weight", shape);
    if (bias) {
      p.zeros("bias", shape);
    }
  }

  /** nn.RMSNorm(normalized_shape, elementwise_affine=True): weight ones of normalized_shape; no bias. */
  static void rmsNorm(ModuleArgs a, Params p) {
    long[] shape = a.shape("normalized_shape");
    Boolean affine = a.flag("elementwise_affine", true);
    if (a.ok() && affine) {
      p.ones("weight", shape);
    }
  }

  /**
   * nn.GroupNorm(num_groups, num_channels, affine=True, bias=True): weight ones and bias zeros [num_channels];
   * num_channels must be divisible by num_groups (torch's message).
   */
  static void groupNorm(ModuleArgs a, Params p) {
    Long groups = a.size("num_groups");
    Long channels = a.size("num_channels");
    Boolean affine = a.flag("affine", true);
    Boolean bias = a.flag("bias", true);
    if (groups != null && channels != null && channels % groups != 0) {
      a.fail("num_groups", "num_channels (" + channels + ") must be divisible by num_groups (" + groups + ")");
    }
    if (!a.ok() || !affine) {
      return;
    }
    p.ones("weight", channels);
    if (bias) {
      p.zeros("bias", channels);
    }
  }

  /**
   * nn.BatchNorm1d/2d/3d(num_features, affine=True, track_running_stats=True, bias=True): weight ones and bias
   * zeros when affine; running_mean zeros and running_var ones when track_running_stats, all [num_features].
   */
  static void batchNorm(ModuleArgs a, Params p) {
    Long n = a.size("num_features");
    Boolean affine = a.flag("affine", true);
    Boolean track = a.flag("track_running_stats", true);
    Boolean bias = a.flag("bias", true);
    if (!a.ok()) {
      return;
    }
    if (affine) {
      p.ones("weight", n);
      if (bias) {
        p.zeros("bias", n);
      }
    }
    if (track) {
      p.zeros("running_mean", n);
      p.ones("running_var", n);
    }
  }
}
