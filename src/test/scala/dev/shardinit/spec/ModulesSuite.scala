package dev.shardinit.spec

import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper
import dev.shardinit.init.Dtype
import org.scalatest.funsuite.AnyFunSuite

import scala.jdk.CollectionConverters._

/**
 * Module presets (docs/JOBS.md, docs/MODELS.md): each torch module's entry expands to torch's parameter names,
 * shapes and reset rules, with bounds bit-equal to torch's float64 formulas. ModuleErrorsSuite has the errors;
 * TorchModulesSuite checks the expansions against torch's own modules.
 */
class ModulesSuite extends AnyFunSuite {

  private def parse(entries: String*): JobSpec =
    JobSpec.parse("seed: 1\ntensors:\n" + entries.map("  - " + _ + "\n").mkString, "m.yaml")

  /** The tensors one module entry expands to: name -> (shape, init, args as written). */
  private def expand(entry: String): Seq[(String, Seq[Long], String, Map[String, Any])] =
    parse(entry).tensors.asScala.toSeq.map(t => (t.name, t.shape.toSeq, t.init, t.args.asScala.toMap))

  private def names(entry: String): Seq[String] = expand(entry).map(_._1)

  private def byName(entry: String): Map[String, TensorSpec] =
    parse(entry).tensors.asScala.map(t => t.name -> t).toMap

  private val sqrt5 = math.sqrt(5.0)
  private def u(bound: Double): Map[String, Any] = Map("a" -> -bound, "b" -> bound)
  private val kaiming: Map[String, Any] = Map("a" -> sqrt5)

  /** torch's kaiming_uniform_(a=math.sqrt(5)) bound for a fan: the same float64 operations in the same order. */
  private def kaimingBound(fan: Long): Double = math.sqrt(3.0) * (math.sqrt(2.0 / (1 + sqrt5 * sqrt5)) / math.sqrt(fan.toDouble))

  // ------------------------------------------------------------------------------------- nn.Linear

  test("nn.Linear: weight [out, in] kaiming_uniform_(a=sqrt(5)), bias [out] U(-1/sqrt(in), 1/sqrt(in)), exactly") {
    val e = expand("{module: nn.Linear, name: encoder.fc, args: {in_features: 768, out_features: 3072}}")
    assert(e == Seq(
      ("encoder.fc.weight", Seq(3072L, 768L), "kaiming_uniform_", kaiming),
      ("encoder.fc.bias", Seq(3072L), "uniform_", u(1 / math.sqrt(768.0)))))
    assert(sqrt5 == 2.23606797749979)
    val t = byName("{module: nn.Linear, name: encoder.fc, args: {in_features: 768, out_features: 3072}}")
    val w = t("encoder.fc.weight").initializer
    assert(w.fanIn.getAsLong == 768L && w.bound.getAsDouble == kaimingBound(768))
    assert(math.abs(w.bound.getAsDouble - 1 / math.sqrt(768.0)) < 1e-17) // the a=sqrt(5) identity, to rounding
    val b = t("encoder.fc.bias").initializer
    assert(b.args.get("a") == -0.036084391824351615 && b.args.get("b") == 0.036084391824351615)
    // in_features 7: a bound that is not a short decimal, still bit-equal
    assert(expand("{module: nn.Linear, name: l, args: {in_features: 7, out_features: 2}}")(1)._4 ==
      u(1 / math.sqrt(7.0)))
  }

  test("nn.Linear: bias false, the entry's dtype on every tensor, {i} placeholders inside a repeat block") {
    assert(expand("{module: nn.Linear, name: head, args: {in_features: 4, out_features: 2, bias: false}}") ==
      Seq(("head.weight", Seq(2L, 4L), "kaiming_uniform_", kaiming)))
    val s = JobSpec.parse(
      """seed: 1
        |dtype: float16
        |tensors:
        |  - {name: first, shape: [2], init: zeros_}
        |  - repeat: {i: 2}
        |    tensors:
        |      - module: nn.Linear
        |        name: h.{i}.fc
        |        args: {in_features: 8, out_features: 16}
        |        dtype: bfloat16
        |  - {name: last, shape: [2], init: ones_}
        |""".stripMargin, "r.yaml")
    val ts = s.tensors.asScala.toSeq
    assert(ts.map(_.name) == Seq("first", "h.0.fc.weight", "h.0.fc.bias", "h.1.fc.weight", "h.1.fc.bias", "last"))
    assert(ts.map(_.location) == Seq("tensors[0]", "tensors[1].tensors[0]{i=0}", "tensors[1].tensors[0]{i=0}",
      "tensors[1].tensors[0]{i=1}", "tensors[1].tensors[0]{i=1}", "tensors[2]"))
    assert(ts.slice(1, 5).forall(t => t.dtype == Dtype.BFLOAT16 && t.hasOwnDtype))
    assert(ts.head.dtype == Dtype.FLOAT16 && !ts.head.hasOwnDtype)
    // each tensor is resolved under its own name: the two layers' weights differ
    assert(!java.util.Arrays.equals(dev.shardinit.TestSupport.bytes(ts(1).initializer.fillAll()),
      dev.shardinit.TestSupport.bytes(ts(3).initializer.fillAll())))
  }

  test("docs/JOBS.md's example expansion is what the code gives, to the last digit") {
    val doc = java.nio.file.Files.readString(java.nio.file.Path.of("docs/JOBS.md"))
    val at = doc.indexOf("```text\n- {name: encoder.fc.weight")
    assert(at > 0, "the example is gone from docs/JOBS.md")
    val block = doc.substring(at + "```text\n".length, doc.indexOf("```", at + 3))
    val written = new YAMLMapper().readTree(block).elements().asScala.toSeq.map { t =>
      (t.get("name").asText, t.get("shape").elements().asScala.map(_.asLong).toSeq, t.get("init").asText,
        t.get("args").properties().asScala.map(e => e.getKey -> e.getValue.asDouble).toMap)
    }
    assert(written == expand("{module: nn.Linear, name: encoder.fc, args: {in_features: 768, out_features: 3072}}"))
  }

  test("a module is named as torch spells it, with or without torch.nn. or nn., in any case") {
    for (m <- Seq("nn.Linear", "torch.nn.Linear", "Linear", "nn.linear", "LINEAR", "' nn.Linear '"))
      assert(names(s"{module: $m, name: l, args: {in_features: 2, out_features: 3}}") == Seq("l.weight", "l.bias"), m)
  }

  test("a module entry in JSON is the same as in YAML") {
    val yaml = "seed: 4\ntensors:\n  - module: nn.Conv2d\n    name: c\n    args: {in_channels: 4, out_channels: 8, " +
      "kernel_size: [3, 1], groups: 2}\n    dtype: float64\n"
    val json = new ObjectMapper().writeValueAsString(new YAMLMapper().readTree(yaml))
    def digest(s: JobSpec) = s.tensors.asScala.toSeq.map(t => (t.name, t.shape.toSeq, t.dtype, t.init, t.args.asScala))
    assert(digest(JobSpec.parse(json, "c.json")) == digest(JobSpec.parse(yaml, "c.yaml")))
  }

  // ----------------------------------------------------------------------------------- nn.Bilinear

  test("nn.Bilinear: weight [out, in1, in2] and bias [out], both U(-1/sqrt(in1), 1/sqrt(in1))") {
    assert(expand("{module: nn.Bilinear, name: bl, args: {in1_features: 20, in2_features: 30, out_features: 40}}") ==
      Seq(("bl.weight", Seq(40L, 20L, 30L), "uniform_", u(1 / math.sqrt(20.0))),
        ("bl.bias", Seq(40L), "uniform_", u(1 / math.sqrt(20.0)))))
    assert(names("{module: nn.Bilinear, name: bl, args: {in1_features: 2, in2_features: 3, out_features: 4, " +
      "bias: false}}") == Seq("bl.weight"))
  }

  // -------------------------------------------------------------------------------- convolutions

  test("nn.Conv1d/2d/3d: weight [out, in/groups, *k], bias bound 1/sqrt(in/groups * prod(k))") {
    assert(expand("{module: nn.Conv1d, name: c, args: {in_channels: 16, out_channels: 32, kernel_size: 5}}") ==
      Seq(("c.weight", Seq(32L, 16L, 5L), "kaiming_uniform_", kaiming), ("c.bias", Seq(32L), "uniform_",
        u(1 / math.sqrt(80.0)))))
    assert(expand("{module: nn.Conv2d, name: c, args: {in_channels: 6, out_channels: 9, kernel_size: [3, 2], " +
      "groups: 3}}") == Seq(("c.weight", Seq(9L, 2L, 3L, 2L), "kaiming_uniform_", kaiming),
      ("c.bias", Seq(9L), "uniform_", u(1 / math.sqrt(12.0)))))
    assert(expand("{module: nn.Conv3d, name: c, args: {in_channels: 3, out_channels: 4, kernel_size: 3, " +
      "bias: false}}") == Seq(("c.weight", Seq(4L, 3L, 3L, 3L, 3L), "kaiming_uniform_", kaiming)))
    val w = byName("{module: nn.Conv2d, name: c, args: {in_channels: 6, out_channels: 9, kernel_size: [3, 2], " +
      "groups: 3}}")("c.weight").initializer
    assert(w.fanIn.getAsLong == 12L && w.bound.getAsDouble == kaimingBound(12))
  }

  test("nn.ConvTranspose1d/2d/3d: weight [in, out/groups, *k]; fans and the bias bound from that layout, as torch") {
    assert(expand("{module: nn.ConvTranspose1d, name: t, args: {in_channels: 16, out_channels: 32, kernel_size: 5}}") ==
      Seq(("t.weight", Seq(16L, 32L, 5L), "kaiming_uniform_", kaiming), ("t.bias", Seq(32L), "uniform_",
        u(1 / math.sqrt(160.0)))))
    val e = expand("{module: nn.ConvTranspose2d, name: t, args: {in_channels: 8, out_channels: 6, " +
      "kernel_size: [4, 3], groups: 2}}")
    // fan_in of [8, 3, 4, 3] is 3 * 12 = 36: out/groups, not in
    assert(e == Seq(("t.weight", Seq(8L, 3L, 4L, 3L), "kaiming_uniform_", kaiming),
      ("t.bias", Seq(6L), "uniform_", u(1 / math.sqrt(36.0)))))
    val w = byName("{module: nn.ConvTranspose2d, name: t, args: {in_channels: 8, out_channels: 6, " +
      "kernel_size: [4, 3], groups: 2}}")("t.weight").initializer
    assert(w.fanIn.getAsLong == 36L && w.fanOut.getAsLong == 96L && w.bound.getAsDouble == kaimingBound(36))
    assert(expand("{module: nn.ConvTranspose3d, name: t, args: {in_channels: 2, out_channels: 4, kernel_size: 2}}")
      .map(x => (x._1, x._2)) == Seq(("t.weight", Seq(2L, 4L, 2L, 2L, 2L)), ("t.bias", Seq(4L))))
  }

  // ---------------------------------------------------------------------------------- nn.Embedding

  test("nn.Embedding: weight [num, dim] normal_ (0, 1); no padding row unless padding_idx is given") {
    assert(expand("{module: nn.Embedding, name: wte, args: {num_embeddings: 100, embedding_dim: 16}}") ==
      Seq(("wte.weight", Seq(100L, 16L), "normal_", Map())))
    val w = byName("{module: nn.Embedding, name: wte, args: {num_embeddings: 100, embedding_dim: 16}}")("wte.weight")
    assert(w.initializer.std.getAsDouble == 1.0 && w.initializer.args.get("mean") == 0.0)
  }

  test("nn.Embedding: padding_idx goes to the tensor entry as the row it stands for (negative counts from the end)") {
    val tree = new YAMLMapper().readTree("{module: nn.Embedding, name: e, args: {num_embeddings: 10, " +
      "embedding_dim: 4, padding_idx: -3}}")
    val errs = new Errors("x")
    val out = new ModuleEntries(errs).rewrite(tree, "tensors[0]", java.util.List.of()).asScala
    assert(!errs.any())
    assert(out.map(_.toString) == Seq("""{"name":"e.weight","shape":[10,4],"init":"normal_","padding_idx":7}"""))
    for ((pad, row) <- Seq(0 -> 0L, 9 -> 9L, -1 -> 9L, -10 -> 0L)) {
      val t = byName(s"{module: nn.Embedding, name: e, args: {num_embeddings: 10, embedding_dim: 4, padding_idx: $pad}}")(
        "e.weight")
      assert(t.paddingIdx == row && t.initializer.paddingIdx.getAsLong == row, pad)
      val v = dev.shardinit.TestSupport.values(t.initializer).grouped(4).toSeq
      assert(v.zipWithIndex.forall { case (r, i) => r.forall(_ == 0.0) == (i == row) }, pad)
    }
    assert(byName("{module: nn.Embedding, name: e, args: {num_embeddings: 10, embedding_dim: 4}}")("e.weight")
      .paddingIdx == null)
  }

  // ----------------------------------------------------------------------------------- the norms

  test("nn.LayerNorm: weight ones and bias zeros of normalized_shape (an integer or a list); bias false") {
    assert(expand("{module: nn.LayerNorm, name: ln, args: {normalized_shape: 768}}") ==
      Seq(("ln.weight", Seq(768L), "ones_", Map()), ("ln.bias", Seq(768L), "zeros_", Map())))
    assert(expand("{module: nn.LayerNorm, name: ln, args: {normalized_shape: [4, 5], bias: false}}") ==
      Seq(("ln.weight", Seq(4L, 5L), "ones_", Map())))
    assert(expand("{module: nn.LayerNorm, name: ln, args: {normalized_shape: []}}").map(_._2) == Seq(Seq(), Seq()))
  }

  test("nn.RMSNorm: weight ones, no bias") {
    assert(expand("{module: nn.RMSNorm, name: n, args: {normalized_shape: [8]}}") ==
      Seq(("n.weight", Seq(8L), "ones_", Map())))
  }

  test("nn.GroupNorm: weight ones and bias zeros [num_channels]; bias false") {
    assert(expand("{module: nn.GroupNorm, name: g, args: {num_groups: 4, num_channels: 12}}") ==
      Seq(("g.weight", Seq(12L), "ones_", Map()), ("g.bias", Seq(12L), "zeros_", Map())))
    assert(names("{module: nn.GroupNorm, name: g, args: {num_groups: 4, num_channels: 12, bias: false}}") ==
      Seq("g.weight"))
  }

  test("nn.BatchNorm1d/2d/3d: weight ones, bias zeros, running_mean zeros, running_var ones; no num_batches_tracked") {
    for (d <- 1 to 3)
      assert(expand(s"{module: nn.BatchNorm${d}d, name: bn, args: {num_features: 64}}") == Seq(
        ("bn.weight", Seq(64L), "ones_", Map()), ("bn.bias", Seq(64L), "zeros_", Map()),
        ("bn.running_mean", Seq(64L), "zeros_", Map()), ("bn.running_var", Seq(64L), "ones_", Map())))
    assert(names("{module: nn.BatchNorm2d, name: bn, args: {num_features: 4, affine: false}}") ==
      Seq("bn.running_mean", "bn.running_var"))
    assert(names("{module: nn.BatchNorm2d, name: bn, args: {num_features: 4, track_running_stats: false}}") ==
      Seq("bn.weight", "bn.bias"))
    assert(names("{module: nn.BatchNorm2d, name: bn, args: {num_features: 4, bias: false}}") ==
      Seq("bn.weight", "bn.running_mean", "bn.running_var"))
  }

  // ------------------------------------------------------------------------------- recurrent layers

  test("nn.LSTM: gate-multiplied shapes, every tensor U(-1/sqrt(hidden), 1/sqrt(hidden))") {
    val e = expand("{module: nn.LSTM, name: lstm, args: {input_size: 10, hidden_size: 20}}")
    assert(e == Seq("weight_ih_l0" -> Seq(80L, 10L), "weight_hh_l0" -> Seq(80L, 20L), "bias_ih_l0" -> Seq(80L),
      "bias_hh_l0" -> Seq(80L)).map { case (n, s) => ("lstm." + n, s, "uniform_", u(1.0 / math.sqrt(20.0))) })
  }

  test("nn.LSTM: two bidirectional layers with projections: layer 1 reads proj_size * 2") {
    val e = expand("{module: nn.LSTM, name: l, args: {input_size: 9, hidden_size: 20, num_layers: 2, " +
      "bidirectional: true, proj_size: 5}}")
    val shapes = for (k <- 0 to 1; s <- Seq("", "_reverse"); (n, sh) <- Seq("weight_ih" -> Seq(80L, if (k == 0) 9L else 10L),
      "weight_hh" -> Seq(80L, 5L), "bias_ih" -> Seq(80L), "bias_hh" -> Seq(80L), "weight_hr" -> Seq(5L, 20L)))
      yield (s"l.${n}_l$k$s", sh)
    assert(e.map(x => (x._1, x._2)) == shapes)
    assert(e.forall(x => x._3 == "uniform_" && x._4 == u(1.0 / math.sqrt(20.0))))
    // without projections, layer 1 reads hidden * 2; without bias, no bias tensors
    val g = expand("{module: nn.GRU, name: g, args: {input_size: 3, hidden_size: 7, num_layers: 2, " +
      "bidirectional: true, bias: false}}")
    assert(g.map(x => (x._1, x._2)) == Seq("g.weight_ih_l0" -> Seq(21L, 3L), "g.weight_hh_l0" -> Seq(21L, 7L),
      "g.weight_ih_l0_reverse" -> Seq(21L, 3L), "g.weight_hh_l0_reverse" -> Seq(21L, 7L),
      "g.weight_ih_l1" -> Seq(21L, 14L), "g.weight_hh_l1" -> Seq(21L, 7L),
      "g.weight_ih_l1_reverse" -> Seq(21L, 14L), "g.weight_hh_l1_reverse" -> Seq(21L, 7L)))
  }

  test("nn.RNN and nn.GRU: one and three gates") {
    assert(expand("{module: nn.RNN, name: r, args: {input_size: 4, hidden_size: 6}}").map(x => (x._1, x._2)) ==
      Seq("r.weight_ih_l0" -> Seq(6L, 4L), "r.weight_hh_l0" -> Seq(6L, 6L), "r.bias_ih_l0" -> Seq(6L),
        "r.bias_hh_l0" -> Seq(6L)))
    assert(expand("{module: nn.GRU, name: g, args: {input_size: 4, hidden_size: 6}}").map(_._2).head == Seq(18L, 4L))
  }

  // ------------------------------------------------------------------------- nn.MultiheadAttention

  test("nn.MultiheadAttention: packed in_proj_weight xavier_uniform_, zero biases, out_proj as nn.Linear") {
    assert(expand("{module: nn.MultiheadAttention, name: attn, args: {embed_dim: 64, num_heads: 8}}") == Seq(
      ("attn.in_proj_weight", Seq(192L, 64L), "xavier_uniform_", Map()),
      ("attn.in_proj_bias", Seq(192L), "zeros_", Map()),
      ("attn.out_proj.weight", Seq(64L, 64L), "kaiming_uniform_", kaiming),
      ("attn.out_proj.bias", Seq(64L), "zeros_", Map())))
    val w = byName("{module: nn.MultiheadAttention, name: a, args: {embed_dim: 64, num_heads: 8}}")
    assert(w("a.in_proj_weight").initializer.bound.getAsDouble == math.sqrt(3.0) * (1.0 * math.sqrt(2.0 / (64 + 192))))
    assert(w("a.out_proj.weight").initializer.bound.getAsDouble == kaimingBound(64))
  }

  test("nn.MultiheadAttention: kdim/vdim give separate q/k/v weights; bias false; add_bias_kv xavier_normal_") {
    assert(expand("{module: nn.MultiheadAttention, name: a, args: {embed_dim: 16, num_heads: 4, kdim: 8, vdim: 12, " +
      "add_bias_kv: true}}") == Seq(
      ("a.q_proj_weight", Seq(16L, 16L), "xavier_uniform_", Map()),
      ("a.k_proj_weight", Seq(16L, 8L), "xavier_uniform_", Map()),
      ("a.v_proj_weight", Seq(16L, 12L), "xavier_uniform_", Map()),
      ("a.in_proj_bias", Seq(48L), "zeros_", Map()),
      ("a.bias_k", Seq(1L, 1L, 16L), "xavier_normal_", Map()),
      ("a.bias_v", Seq(1L, 1L, 16L), "xavier_normal_", Map()),
      ("a.out_proj.weight", Seq(16L, 16L), "kaiming_uniform_", kaiming),
      ("a.out_proj.bias", Seq(16L), "zeros_", Map())))
    // kdim and vdim equal to embed_dim: packed, as in torch
    assert(names("{module: nn.MultiheadAttention, name: a, args: {embed_dim: 16, num_heads: 4, kdim: 16, vdim: 16, " +
      "bias: false}}") == Seq("a.in_proj_weight", "a.out_proj.weight"))
    val bk = byName("{module: nn.MultiheadAttention, name: a, args: {embed_dim: 16, num_heads: 4, add_bias_kv: true}}")
    assert(bk("a.bias_k").initializer.std.getAsDouble == 1.0 * math.sqrt(2.0 / (16 + 16)))
  }

  test("an expanded tensor is re-resolved by withSeed and withDtype like a written one") {
    val s = parse("{module: nn.Linear, name: fc, args: {in_features: 16, out_features: 8}}")
    val h = s.withDtype(Dtype.FLOAT16).withSeed(5)
    assert(h.tensors.asScala.forall(t => t.dtype == Dtype.FLOAT16 && t.initializer.target.seed == 5))
    assert(h.tensors.get(1).args == s.tensors.get(1).args)
  }
}
