package dev.shardinit.spec;

/** nn.Linear, nn.Bilinear and nn.Embedding: their parameters as torch's constructors and resets make them. */
final class LinearModules {
  private LinearModules() {}

  /**
   * nn.Linear(in_features, out_features, bias=True): weight [out, in] kaiming_uniform_(a=sqrt(5)); bias [out]
   * U(-1/sqrt(in), 1/sqrt(in)).
   */
  static void linear(ModuleArgs a, Params p) {
    Long in = a.size("in_features");
    Long out = a.size("out_features");
    Boolean bias = a.flag("bias", true);
    if (!a.ok()) {
      return;
    }
    long[] w = {out, in};
    p.kaimingUniformSqrt5("weight", w);
    if (bias) {
      p.uniform("bias", Params.biasBound(w), out);
    }
  }

  /**
   * nn.Bilinear(in1_features, in2_features, out_features, bias=True): weight [out, in1, in2] and bias [out], both
   * U(-1/sqrt(in1), 1/sqrt(in1)) (torch's bound is 1 / math.sqrt(weight.size(1))).
   */
  static void bilinear(ModuleArgs a, Params p) {
    Long in1 = a.integer("in1_features");
    Long in2 = a.size("in2_features");
    Long out = a.size("out_features");
    Boolean bias = a.flag("bias", true);
    if (in1 != null && in1 <= 0) {
      a.fail("in1_features", "in1_features must be > 0, but got (in1_features=" + in1 + ")");
    }
    if (!a.ok()) {
      return;
    }
    double bound = 1 / Math.sqrt((double) in1);
    p.uniform("weight", bound, out, in1, in2);
    if (bias) {
      p.uniform("bias", bound, out);
    }
  }

  /**
   * nn.Embedding(num_embeddings, embedding_dim, padding_idx=None): weight [num, dim] N(0, 1), then row
   * padding_idx zeroed. A negative padding_idx counts from the end, as in torch, and is given to the tensor as
   * the row it stands for.
   */
  static void embedding(ModuleArgs a, Params p) {
    Long num = a.size("num_embeddings");
    Long dim = a.size("embedding_dim");
    Long pad = a.integer("padding_idx", null);
    if (num != null && pad != null && (pad >= num || pad < -num)) {
      a.fail("padding_idx", "Padding_idx must be within num_embeddings");
    }
    if (!a.ok()) {
      return;
    }
    Params.Param w = p.normal("weight", num, dim);
    if (pad != null) {
      w.paddingIdx = pad < 0 ? num + pad : pad;
    }
  }
}
