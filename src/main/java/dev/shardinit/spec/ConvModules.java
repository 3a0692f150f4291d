package dev.shardinit.spec;

/** nn.Conv1d/2d/3d and nn.ConvTranspose1d/2d/3d: torch's _ConvNd parameters and reset_parameters. */
final class ConvModules {
  private ConvModules() {}

  /**
   * _ConvNd(in_channels, out_channels, kernel_size, groups=1, bias=True): weight [out, in/groups, *k], or
   * [in, out/groups, *k] when transposed, kaiming_uniform_(a=sqrt(5)); bias [out] U(-b, b) with
   * b = 1/sqrt(fan_in of that weight), so fan_in = shape[1] * prod(k): in/groups * prod(k) for a convolution,
   * out/groups * prod(k) for a transposed one. kernel_size is an integer for every dimension or a list of
   * {@code dims} integers; torch's checks on groups, in their order and with their messages.
   */
  static void conv(ModuleArgs a, Params p, int dims, boolean transposed) {
    Long in = a.size("in_channels");
    Long out = a.size("out_channels");
    long[] k = a.kernel("kernel_size", dims);
    Long groups = a.integer("groups", 1L);
    Boolean bias = a.flag("bias", true);
    if (groups != null) {
      if (groups <= 0) {
        a.fail("groups", "groups must be a positive integer");
      } else if (in != null && in % groups != 0) {
        a.fail("groups", "in_channels must be divisible by groups");
      } else if (out != null && out % groups != 0) {
        a.fail("groups", "out_channels must be divisible by groups");
      }
    }
    if (!a.ok()) {
      return;
    }
    long[] w = transposed ? Params.concat(in, out / groups, k) : Params.concat(out, in / groups, k);
    p.kaimingUniformSqrt5("weight", w);
    if (bias) {
      p.uniform("bias", Params.biasBound(w), out);
    }
  }
}
