package dev.shardinit.model;

import java.util.List;

/**
 * GPT-2 ({@code GPT2LMHeadModel}). Its attention and MLP are Conv1D modules, weights stored [in, out], always with
 * a bias. {@code GPT2PreTrainedModel._init_weights}: Conv1D weights N(0, initializer_range) and the two residual
 * projections ({@code attn.c_proj}, {@code mlp.c_proj}, and {@code crossattention.c_proj}) redrawn with std
 * {@code initializer_range / sqrt(2 * n_layer)}; both read initializer_range as written. The embeddings go
 * through the base rule ({@code initializer_range or 0.02}), with no padding row. lm_head is tied to wte unless
 * the config unties it.
 */
final class Gpt2 implements Family {
  @Override
  public String modelType() {
    return "gpt2";
  }

  @Override
  public List<String> architectures() {
    return List.of("GPT2LMHeadModel");
  }

  @Override
  public void tensors(HfConfig c, String arch, Tensors out) {
    long vocab = c.size("vocab_size");
    long hidden = c.size("n_embd", "hidden_size");
    long layers = c.size("n_layer", "num_hidden_layers");
    long heads = c.size("n_head", "num_attention_heads");
    long positions = c.size("n_positions", "max_position_embeddings");
    long inner = c.size(4 * hidden, "n_inner");
    double base = c.initializerRange();
    double conv = c.rawInitializerRange();
    double residual = conv / Math.sqrt(2 * layers);
    boolean tie = c.bool(true, "tie_word_embeddings");
    boolean cross = c.bool(false, "add_cross_attention");
    if (!c.ok()) {
      return; // the checks below would be about placeholder values
    }
    if (hidden % heads != 0) {
      c.error("n_head: `embed_dim` must be divisible by num_heads (got `embed_dim`: " + hidden + " and `num_heads`: "
          + heads + ").");
    }
    if (!c.ok()) {
      return;
    }
    out.normal("transformer.wte.weight", base, vocab, hidden);
    out.normal("transformer.wpe.weight", base, positions, hidden);
    out.repeat("i", layers, l -> {
      String h = "transformer.h.{i}.";
      l.layerNorm(h + "ln_1", hidden);
      conv1d(l, h + "attn.c_attn", conv, hidden, 3 * hidden);
      conv1d(l, h + "attn.c_proj", residual, hidden, hidden);
      l.layerNorm(h + "ln_2", hidden);
      if (cross) {
        conv1d(l, h + "crossattention.c_attn", conv, hidden, 2 * hidden);
        conv1d(l, h + "crossattention.q_attn", conv, hidden, hidden);
        conv1d(l, h + "crossattention.c_proj", residual, hidden, hidden);
        l.layerNorm(h + "ln_cross_attn", hidden);
      }
      conv1d(l, h + "mlp.c_fc", conv, hidden, inner);
      conv1d(l, h + "mlp.c_proj", residual, inner, hidden);
    });
    out.layerNorm("transformer.ln_f", hidden);
    if (!tie) {
      out.normal("lm_head.weight", base, vocab, hidden);
    }
  }

  /** transformers' Conv1D(nf=out, nx=in): weight [in, out], bias [out]. */
  private static void conv1d(Tensors t, String prefix, double std, long in, long outFeatures) {
    t.normal(prefix + ".weight", std, in, outFeatures);
    t.zeros(prefix + ".bias", outFeatures);
  }
}
