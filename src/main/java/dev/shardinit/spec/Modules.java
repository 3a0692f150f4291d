package dev.shardinit.spec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The PyTorch modules a job spec may name in a {@code module} entry, each with torch's constructor arguments (those
 * that shape or initialize its parameters, in torch's order) and the builder that gives its tensors as
 * torch's {@code reset_parameters} does (docs/MODELS.md).
 */
final class Modules {
  /** Gives a module's tensors from its arguments; does nothing more once the arguments have a problem. */
  interface Builder {
    void build(ModuleArgs a, Params p);
  }

  /** One module: its torch name, the arguments it takes, torch's other arguments with why they are refused. */
  static final class Def {
    final String name;
    final List<String> args;
    final Map<String, String> refused;
    final Builder builder;

    Def(String name, List<String> args, List<String> inert, Map<String, String> special, Builder builder) {
      this.name = name;
      this.args = args;
      Map<String, String> r = new LinkedHashMap<>();
      for (String k : inert) {
        r.put(k, "'" + k + "' does not change the parameters or their initialization; leave it out");
      }
      r.put("dtype", "give the dtype as the entry's dtype key, not as an argument");
      r.put("device", "'device' does not change the parameters or their initialization; leave it out");
      r.putAll(special);
      this.refused = Collections.unmodifiableMap(r);
      this.builder = builder;
    }
  }

  private static final Map<String, Def> DEFS = new TreeMap<>(); // by lower-case class name

  static {
    List<String> linear = List.of("in_features", "out_features", "bias");
    add(new Def("nn.Linear", linear, List.of(), Map.of(), LinearModules::linear));
    add(new Def("nn.Bilinear", List.of("in1_features", "in2_features", "out_features", "bias"), List.of(), Map.of(),
        LinearModules::bilinear));
    add(new Def("nn.Embedding", List.of("num_embeddings", "embedding_dim", "padding_idx"),
        List.of("max_norm", "norm_type", "scale_grad_by_freq", "sparse"), Map.of(), LinearModules::embedding));
    List<String> conv = List.of("in_channels", "out_channels", "kernel_size", "groups", "bias");
    for (int n = 1; n <= 3; n++) {
      int dims = n;
      add(new Def("nn.Conv" + n + "d", conv, List.of("stride", "padding", "dilation", "padding_mode"), Map.of(),
          (a, p) -> ConvModules.conv(a, p, dims, false)));
      add(new Def("nn.ConvTranspose" + n + "d", conv,
          List.of("stride", "padding", "output_padding", "dilation", "padding_mode"), Map.of(),
          (a, p) -> ConvModules.conv(a, p, dims, true)));
      add(new Def("nn.BatchNorm" + n + "d", List.of("num_features", "affine", "track_running_stats", "bias"),
          List.of("eps", "momentum"), Map.of(), NormModules::batchNorm));
    }
    add(new Def("nn.LayerNorm", List.of("normalized_shape", "elementwise_affine", "bias"), List.of("eps"), Map.of(),
        NormModules::layerNorm));
    add(new Def("nn.RMSNorm", List.of("normalized_shape", "elementwise_affine"), List.of("eps"), Map.of(),
        NormModules::rmsNorm));
    add(new Def("nn.GroupNorm", List.of("num_groups", "num_channels", "affine", "bias"), List.of("eps"), Map.of(),
        NormModules::groupNorm));
    List<String> rnn = List.of("input_size", "hidden_size", "num_layers", "bias", "bidirectional");
    List<String> lstm = new ArrayList<>(rnn);
    lstm.add("proj_size");
    Map<String, String> noProj = Map.of("proj_size", "proj_size argument is only supported for LSTM, not RNN or GRU");
    add(new Def("nn.RNN", rnn, List.of("nonlinearity", "batch_first", "dropout"), noProj,
        (a, p) -> RecurrentModules.rnn(a, p, 1)));
    add(new Def("nn.LSTM", List.copyOf(lstm), List.of("batch_first", "dropout"), Map.of(),
        (a, p) -> RecurrentModules.rnn(a, p, 4)));
    add(new Def("nn.GRU", rnn, List.of("batch_first", "dropout"), noProj, (a, p) -> RecurrentModules.rnn(a, p, 3)));
    add(new Def("nn.MultiheadAttention", List.of("embed_dim", "num_heads", "bias", "add_bias_kv", "kdim", "vdim"),
        List.of("dropout", "add_zero_attn", "batch_first"), Map.of(), AttentionModules::multiheadAttention));
  }

  private Modules() {}

  private static void add(Def d) {
    DEFS.put(d.name.substring("nn.".length()).toLowerCase(Locale.ROOT), d);
  }

  /**
   * The module {@code text} names: its torch class name with or without a {@code torch.nn.} or {@code nn.} prefix,
   * in any case ({@code nn.Linear}, {@code torch.nn.Linear}, {@code linear}).
   *
   * @throws IllegalArgumentException naming it and listing the supported modules
   */
  static Def find(String text) {
    String k = text.trim().toLowerCase(Locale.ROOT);
    for (String prefix : new String[] {"torch.nn.", "nn."}) {
      if (k.startsWith(prefix)) {
        k = k.substring(prefix.length());
        break;
      }
    }
    Def d = DEFS.get(k);
    if (d == null) {
      throw new IllegalArgumentException("unknown module '" + text + "'; use one of " + String.join(", ", names()));
    }
    return d;
  }

  /** The supported modules' torch names, sorted. */
  static List<String> names() {
    List<String> out = new ArrayList<>();
    for (Def d : DEFS.values()) {
      out.add(d.name);
    }
    Collections.sort(out);
    return out;
  }
}
