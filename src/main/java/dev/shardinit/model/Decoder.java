package dev.shardinit.model;

import java.util.List;

/**
 * The Llama-shaped decoder-only language models of transformers ({@code <Family>ForCausalLM}): llama, mistral,
 * qwen2, qwen3, gemma and gemma2. They share the layout (embed_tokens, per layer q/k/v/o projections, a gated MLP
 * and RMSNorms, a final norm, lm_head) and the base {@code PreTrainedModel._init_weights}: Linear and Embedding
 * weights N(0, initializer_range), the padding row zeroed, biases zero, norms one. What differs is recorded per
 * family below: the config's defaults, which projections have biases, Qwen3's q/k norms, Gemma's norms at zero
 * (its RMSNorm scales by 1 + weight) and Gemma2's extra norms.
 */
final class Decoder implements Family {
  /** Which projections have biases, and which config fields say so. */
  enum Bias {
    /** attention_bias (q, k, v, o) and mlp_bias (gate, up, down), both default false: llama. */
    ATTENTION_AND_MLP,
    /** attention_bias (q, k, v, o), default false: qwen3, gemma, gemma2. */
    ATTENTION,
    /** q, k and v always, o never; no field: qwen2. */
    QKV,
    /** none, no field: mistral. */
    NONE
  }

  private final String modelType;
  private final String architecture;
  private final long kvHeadsDefault; // 0: num_attention_heads
  private final long headDimDefault; // 0: hidden_size / num_attention_heads
  private final boolean checksHiddenByHeads;
  private final Bias bias;
  private final boolean qkNorm;
  private final boolean zeroNorms;
  private final boolean sandwichNorms;
  private final Long padDefault;
  private final boolean tieDefault;

  private Decoder(String modelType, String architecture, long kvHeadsDefault, long headDimDefault,
      boolean checksHiddenByHeads, Bias bias, boolean qkNorm, boolean zeroNorms, boolean sandwichNorms,
      Long padDefault, boolean tieDefault) {
    this.modelType = modelType;
    this.architecture = architecture;
    this.kvHeadsDefault = kvHeadsDefault;
    this.headDimDefault = headDimDefault;
    this.checksHiddenByHeads = checksHiddenByHeads;
    this.bias = bias;
    this.qkNorm = qkNorm;
    this.zeroNorms = zeroNorms;
    this.sandwichNorms = sandwichNorms;
    this.padDefault = padDefault;
    this.tieDefault = tieDefault;
  }

  static List<Family> all() {
    return List.of(
        new Decoder("llama", "LlamaForCausalLM", 0, 0, true, Bias.ATTENTION_AND_MLP, false, false, false, null, false),
        new Decoder("mistral", "MistralForCausalLM", 8, 0, false, Bias.NONE, false, false, false, null, false),
        new Decoder("qwen2", "Qwen2ForCausalLM", 32, 0, false, Bias.QKV, false, false, false, null, false),
        new Decoder("qwen3", "Qwen3ForCausalLM", 32, 128, false, Bias.ATTENTION, true, false, false, null, false),
        new Decoder("gemma", "GemmaForCausalLM", 16, 256, false, Bias.ATTENTION, false, true, false, 0L, true),
        new Decoder("gemma2", "Gemma2ForCausalLM", 4, 256, true, Bias.ATTENTION, false, true, true, 0L, true));
  }

  @Override
  public String modelType() {
    return modelType;
  }

  @Override
  public List<String> architectures() {
    return List.of(architecture);
  }

  @Override
  public void tensors(HfConfig c, String arch, Tensors out) {
    long vocab = c.size("vocab_size");
    long hidden = c.size("hidden_size");
    long inter = c.size("intermediate_size");
    long layers = c.size("num_hidden_layers");
    long heads = c.size("num_attention_heads");
    long kvHeads = c.size(kvHeadsDefault == 0 ? heads : kvHeadsDefault, "num_key_value_heads");
    boolean headDimGiven = c.root().hasNonNull("head_dim");
    long headDim = c.size(headDimDefault == 0 ? Math.max(1, hidden / heads) : headDimDefault, "head_dim");
    double std = c.initializerRange();
    Long pad = Heads.padding(c, padDefault, vocab);
    boolean tie = c.bool(tieDefault, "tie_word_embeddings");
    boolean attnBias = bias == Bias.ATTENTION || bias == Bias.ATTENTION_AND_MLP ? c.bool(false, "attention_bias")
        : bias == Bias.QKV;
    boolean outBias = bias == Bias.QKV ? false : attnBias;
    boolean mlpBias = bias == Bias.ATTENTION_AND_MLP && c.bool(false, "mlp_bias");
    if (!c.ok()) {
      return; // the checks below would be about placeholder values
    }
    if ((checksHiddenByHeads || headDimDefault == 0 && !headDimGiven) && hidden % heads != 0) {
      c.error("hidden_size: The hidden size (" + hidden + ") is not a multiple of the number of attention heads ("
          + heads + ").");
    }
    Heads.checkKv(c, heads, kvHeads);
    if (c.ok() && headDim > 4 && headDim % 2 != 0) {
      c.error("head_dim: RoPE requires an even rotary dimension, but got head_dim=" + headDim);
    }
    if (!c.ok()) {
      return;
    }
    out.embedding("model.embed_tokens.weight", std, pad, vocab, hidden);
    out.repeat("i", layers, l -> {
      String a = "model.layers.{i}.self_attn.";
      l.linear(a + "q_proj", std, heads * headDim, hidden, attnBias);
      l.linear(a + "k_proj", std, kvHeads * headDim, hidden, attnBias);
      l.linear(a + "v_proj", std, kvHeads * headDim, hidden, attnBias);
      l.linear(a + "o_proj", std, hidden, heads * headDim, outBias);
      if (qkNorm) {
        l.ones(a + "q_norm.weight", headDim);
        l.ones(a + "k_norm.weight", headDim);
      }
      String m = "model.layers.{i}.mlp.";
      l.linear(m + "gate_proj", std, inter, hidden, mlpBias);
      l.linear(m + "up_proj", std, inter, hidden, mlpBias);
      l.linear(m + "down_proj", std, hidden, inter, mlpBias);
      norm(l, "model.layers.{i}.input_layernorm.weight", hidden);
      norm(l, "model.layers.{i}.post_attention_layernorm.weight", hidden);
      if (sandwichNorms) {
        norm(l, "model.layers.{i}.pre_feedforward_layernorm.weight", hidden);
        norm(l, "model.layers.{i}.post_feedforward_layernorm.weight", hidden);
      }
    });
    norm(out, "model.norm.weight", hidden);
    if (!tie) {
      out.normal("lm_head.weight", std, vocab, hidden);
    }
  }

  private void norm(Tensors t, String name, long hidden) {
    if (zeroNorms) {
      t.zeros(name, hidden);
    } else {
      t.ones(name, hidden);
    }
  }
}
