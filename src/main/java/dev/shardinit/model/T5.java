package dev.shardinit.model;

import java.util.List;

/**
 * T5 ({@code T5ForConditionalGeneration}). {@code T5PreTrainedModel._init_weights} draws every weight from a std
 * built from {@code initializer_factor} f: the shared embedding N(0, f); per attention q N(0, f (d_model d_kv)^-1/2),
 * k and v N(0, f d_model^-1/2), o N(0, f (num_heads d_kv)^-1/2), the relative attention bias (block 0 of each
 * stack's self-attention only) N(0, f d_model^-1/2); the feed-forward wi (or wi_0 and wi_1 when gated) N(0, f
 * d_model^-1/2) and wo N(0, f d_ff^-1/2); layer norms the constant f. No Linear has a bias. transformers 5.24 ties
 * lm_head and both stacks' embed_tokens to {@code shared} for every T5 config (it keeps the config's
 * tie_word_embeddings only to scale the decoder's output), so {@code shared.weight} is the one embedding written.
 */
final class T5 implements Family {
  @Override
  public String modelType() {
    return "t5";
  }

  @Override
  public List<String> architectures() {
    return List.of("T5ForConditionalGeneration");
  }

  @Override
  public void tensors(HfConfig c, String arch, Tensors out) {
    long vocab = c.size("vocab_size");
    long dModel = c.size("d_model", "hidden_size");
    long dKv = c.size("d_kv", "head_dim");
    long dFf = c.size("d_ff");
    long layers = c.size("num_layers", "num_hidden_layers");
    long decoderLayers = c.size(layers, "num_decoder_layers");
    long heads = c.size("num_heads", "num_attention_heads");
    long buckets = c.size(32, "relative_attention_num_buckets");
    double f = c.number(1.0, "initializer_factor");
    String ff = c.string("relu", "feed_forward_proj");
    String[] parts = ff.split("-", -1);
    boolean gated = parts.length == 2 && parts[0].equals("gated");
    if (parts.length > 2 || parts.length == 2 && !gated) {
      c.error("feed_forward_proj: `feed_forward_proj`: " + ff + " is not a valid activation function of the dense "
          + "layer. Please make sure `feed_forward_proj` is of the format `gated-{ACT_FN}` or `{ACT_FN}`, e.g. "
          + "'gated-gelu' or 'relu'");
    }
    if (!c.ok()) {
      return;
    }
    long inner = heads * dKv;
    double q = f * Pow.minusHalf(dModel * dKv);
    double kv = f * Pow.minusHalf(dModel);
    double o = f * Pow.minusHalf(inner);
    double wo = f * Pow.minusHalf(dFf);
    out.normal("shared.weight", f * 1.0, vocab, dModel);
    for (String stack : new String[] {"encoder", "decoder"}) {
      boolean dec = stack.equals("decoder");
      String b = stack + ".block.";
      Tensors first = new Tensors();
      first.normal(b + "0.layer.0.SelfAttention.relative_attention_bias.weight", kv, buckets, heads);
      out.addAll(first);
      out.repeat("i", dec ? decoderLayers : layers, l -> {
        String p = b + "{i}.layer.";
        attention(l, p + "0.SelfAttention.", q, kv, o, inner, dModel);
        l.constant(p + "0.layer_norm.weight", f * 1.0, dModel);
        int ffLayer = 1;
        if (dec) {
          attention(l, p + "1.EncDecAttention.", q, kv, o, inner, dModel);
          l.constant(p + "1.layer_norm.weight", f * 1.0, dModel);
          ffLayer = 2;
        }
        String d = p + ffLayer + ".DenseReluDense.";
        if (gated) {
          l.normal(d + "wi_0.weight", kv, dFf, dModel);
          l.normal(d + "wi_1.weight", kv, dFf, dModel);
        } else {
          l.normal(d + "wi.weight", kv, dFf, dModel);
        }
        l.normal(d + "wo.weight", wo, dModel, dFf);
        l.constant(p + ffLayer + ".layer_norm.weight", f * 1.0, dModel);
      });
      out.constant(stack + ".final_layer_norm.weight", f * 1.0, dModel);
    }
  }

  private static void attention(Tensors t, String p, double q, double kv, double o, long inner, long dModel) {
    t.normal(p + "q.weight", q, inner, dModel);
    t.normal(p + "k.weight", kv, inner, dModel);
    t.normal(p + "v.weight", kv, inner, dModel);
    t.normal(p + "o.weight", o, dModel, inner);
  }
}
