package dev.shardinit.spec;

/** nn.RNN, nn.LSTM and nn.GRU: torch's RNNBase parameters, every one U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)). */
final class RecurrentModules {
  private RecurrentModules() {}

  /**
   * RNNBase(input_size, hidden_size, num_layers=1, bias=True, bidirectional=False, proj_size=0) with
   * {@code gates} gates (RNN 1, GRU 3, LSTM 4). For layer k and each direction (suffix {@code _reverse} for the
   * second): weight_ih_l{k} [gates * hidden, in_k], weight_hh_l{k} [gates * hidden, h], bias_ih_l{k} and
   * bias_hh_l{k} [gates * hidden] when bias, weight_hr_l{k} [proj_size, hidden] when proj_size &gt; 0; h is
   * proj_size when it is &gt; 0, else hidden_size; in_0 = input_size and in_k = h * directions. All of them
   * uniform_(-stdv, stdv), stdv = 1.0 / math.sqrt(hidden_size). torch's checks, in torch's order and with its
   * messages.
   */
  static void rnn(ModuleArgs a, Params p, int gates) {
    Long input = a.integer("input_size");
    Long hidden = a.integer("hidden_size");
    Long layers = a.integer("num_layers", 1L);
    Boolean bias = a.flag("bias", true);
    Boolean bidirectional = a.flag("bidirectional", false);
    Long proj = gates == 4 ? a.integer("proj_size", 0L) : (Long) 0L;
    if (input != null && input <= 0) {
      a.fail("input_size", "input_size must be greater than zero");
    }
    if (hidden != null && hidden <= 0) {
      a.fail("hidden_size", "hidden_size must be greater than zero");
    }
    if (layers != null && layers <= 0) {
      a.fail("num_layers", "num_layers must be greater than zero");
    }
    if (proj != null && proj < 0) {
      a.fail("proj_size", "proj_size should be a positive integer or zero to disable projections");
    } else if (proj != null && hidden != null && hidden > 0 && proj >= hidden) {
      a.fail("proj_size", "proj_size has to be smaller than hidden_size");
    }
    if (!a.ok()) {
      return;
    }
    int directions = bidirectional ? 2 : 1;
    p.reserve(layers, directions * ((bias ? 4 : 2) + (proj > 0 ? 1 : 0)));
    long gate = Math.multiplyExact(gates, hidden);
    long real = proj > 0 ? proj : hidden;
    double stdv = 1.0 / Math.sqrt((double) hidden);
    for (long k = 0; k < layers; k++) {
      long in = k == 0 ? input : Math.multiplyExact(real, directions);
      for (int d = 0; d < directions; d++) {
        String s = "_l" + k + (d == 1 ? "_reverse" : "");
        p.uniform("weight_ih" + s, stdv, gate, in);
        p.uniform("weight_hh" + s, stdv, gate, real);
        if (bias) {
          p.uniform("bias_ih" + s, stdv, gate);
          p.uniform("bias_hh" + s, stdv, gate);
        }
        if (proj > 0) {
          p.uniform("weight_hr" + s, stdv, proj, hidden);
        }
      }
    }
  }
}
