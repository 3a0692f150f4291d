package dev.shardinit.spec;

/** nn.MultiheadAttention: its parameters and torch's _reset_parameters. */
final class AttentionModules {
  private AttentionModules() {}

  /**
   * nn.MultiheadAttention(embed_dim, num_heads, bias=True, add_bias_kv=False, kdim=None, vdim=None), E =
   * embed_dim: when kdim and vdim are E (or left out), in_proj_weight [3E, E], else q_proj_weight [E, E],
   * k_proj_weight [E, kdim] and v_proj_weight [E, vdim], each xavier_uniform_; in_proj_bias [3E] zeros when
   * bias; bias_k and bias_v [1, 1, E] xavier_normal_ when add_bias_kv; out_proj.weight [E, E] keeps nn.Linear's
   * kaiming_uniform_(a=sqrt(5)); out_proj.bias [E] zeros when bias (reset sets it to 0 after nn.Linear's
   * uniform_). In torch's state_dict order. E must be divisible by num_heads (torch's message).
   */
  static void multiheadAttention(ModuleArgs a, Params p) {
    Long e = a.integer("embed_dim");
    Long heads = a.integer("num_heads");
    Boolean bias = a.flag("bias", true);
    Boolean biasKv = a.flag("add_bias_kv", false);
    Long kdim = a.size("kdim", e == null ? 1 : e);
    Long vdim = a.size("vdim", e == null ? 1 : e);
    if (e != null && heads != null) {
      if (e <= 0 || heads <= 0) {
        a.fail(e <= 0 && heads <= 0 ? null : e <= 0 ? "embed_dim" : "num_heads", "embed_dim and num_heads must be "
            + "greater than 0, got embed_dim=" + e + " and num_heads=" + heads + " instead");
      } else if (e % heads != 0) {
        a.fail("num_heads", "embed_dim must be divisible by num_heads");
      }
    }
    if (!a.ok()) {
      return;
    }
    if (kdim.equals(e) && vdim.equals(e)) {
      p.xavierUniform("in_proj_weight", Math.multiplyExact(3, e), e);
    } else {
      p.xavierUniform("q_proj_weight", e, e);
      p.xavierUniform("k_proj_weight", e, kdim);
      p.xavierUniform("v_proj_weight", e, vdim);
    }
    if (bias) {
      p.zeros("in_proj_bias", Math.multiplyExact(3, e));
    }
    if (biasKv) {
      p.xavierNormal("bias_k", 1, 1, e);
      p.xavierNormal("bias_v", 1, 1, e);
    }
    p.kaimingUniformSqrt5("out_proj.weight", e, e);
    if (bias) {
      p.zeros("out_proj.bias", e);
    }
  }
}
