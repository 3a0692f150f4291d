package dev.shardinit.model;

/** Checks and derived values several families share. */
final class Heads {
  private Heads() {}

  /**
   * The embedding's padding row: {@code pad_token_id} (JSON null: none; absent: the config class's default),
   * which nn.Embedding accepts in [-vocab_size, vocab_size).
   */
  static Long padding(HfConfig c, Long dflt, long vocab) {
    Long pad = c.root().has("pad_token_id") ? c.optionalInteger("pad_token_id") : dflt;
    if (pad != null && (pad >= vocab || pad < -vocab)) {
      c.error("pad_token_id: " + pad + " is not a token id: Padding_idx must be within num_embeddings (vocab_size "
          + vocab + ")");
      return null;
    }
    return pad;
  }

  /** Grouped-query attention needs the key/value heads to divide the query heads. */
  static void checkKv(HfConfig c, long heads, long kvHeads) {
    if (heads % kvHeads != 0) {
      c.error("num_key_value_heads: " + kvHeads + " does not divide num_attention_heads (" + heads + "); each key/value "
          + "head serves the same number of query heads");
    }
  }
}
