package dev.shardinit.model;

import java.util.List;

/**
 * BERT ({@code BertForMaskedLM}, or {@code BertForPreTraining} with the pooler and the next-sentence head). The
 * base {@code _init_weights}: Linear and Embedding weights N(0, initializer_range), the word embeddings' padding
 * row ({@code pad_token_id}, default 0) zeroed, biases zero, LayerNorms one and zero; and BERT's own: the
 * prediction head's bias {@code cls.predictions.bias} zero. With tied embeddings (the default) the decoder's
 * weight and bias are the word embeddings and {@code cls.predictions.bias}, left out as save_pretrained does.
 */
final class Bert implements Family {
  static final String MASKED_LM = "BertForMaskedLM";
  static final String PRE_TRAINING = "BertForPreTraining";

  @Override
  public String modelType() {
    return "bert";
  }

  @Override
  public List<String> architectures() {
    return List.of(MASKED_LM, PRE_TRAINING);
  }

  @Override
  public void tensors(HfConfig c, String arch, Tensors out) {
    long vocab = c.size("vocab_size");
    long hidden = c.size("hidden_size");
    long layers = c.size("num_hidden_layers");
    long heads = c.size("num_attention_heads");
    long inter = c.size("intermediate_size");
    long positions = c.size(512, "max_position_embeddings");
    long types = c.size(2, "type_vocab_size");
    double std = c.initializerRange();
    Long pad = Heads.padding(c, 0L, vocab);
    boolean tie = c.bool(true, "tie_word_embeddings");
    if (!c.ok()) {
      return; // the checks below would be about placeholder values
    }
    if (c.bool(false, "add_cross_attention")) {
      c.error("add_cross_attention: true is not supported for bert (" + arch + " is an encoder)");
    }
    if (hidden % heads != 0) {
      c.error("num_attention_heads: The hidden size (" + hidden + ") is not a multiple of the number of attention "
          + "heads (" + heads + ")");
    }
    if (!c.ok()) {
      return;
    }
    boolean pre = arch.equals(PRE_TRAINING);
    String e = "bert.embeddings.";
    out.embedding(e + "word_embeddings.weight", std, pad, vocab, hidden);
    out.normal(e + "position_embeddings.weight", std, positions, hidden);
    out.normal(e + "token_type_embeddings.weight", std, types, hidden);
    out.layerNorm(e + "LayerNorm", hidden);
    out.repeat("i", layers, l -> {
      String p = "bert.encoder.layer.{i}.";
      l.linear(p + "attention.self.query", std, hidden, hidden, true);
      l.linear(p + "attention.self.key", std, hidden, hidden, true);
      l.linear(p + "attention.self.value", std, hidden, hidden, true);
      l.linear(p + "attention.output.dense", std, hidden, hidden, true);
      l.layerNorm(p + "attention.output.LayerNorm", hidden);
      l.linear(p + "intermediate.dense", std, inter, hidden, true);
      l.linear(p + "output.dense", std, hidden, inter, true);
      l.layerNorm(p + "output.LayerNorm", hidden);
    });
    if (pre) {
      out.linear("bert.pooler.dense", std, hidden, hidden, true);
    }
    out.zeros("cls.predictions.bias", vocab);
    out.linear("cls.predictions.transform.dense", std, hidden, hidden, true);
    out.layerNorm("cls.predictions.transform.LayerNorm", hidden);
    if (!tie) {
      out.linear("cls.predictions.decoder", std, vocab, hidden, true);
    }
    if (pre) {
      out.linear("cls.seq_relationship", std, 2, hidden, true);
    }
  }
}
