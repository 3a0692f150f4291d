package dev.shardinit.model

import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.databind.node.ObjectNode
import dev.shardinit.init.Dtype
import dev.shardinit.spec.{JobSpec, SpecException, SpecYaml, TensorSpec}
import org.scalatest.funsuite.AnyFunSuite

import java.nio.file.{Files, Path}
import scala.jdk.CollectionConverters._

/**
 * The config front end without Spark: the families' tensors (names, shapes, inits) for the configs in jobs/ and
 * the test configs, the YAML it prints, and every bad config as one line naming the field. What transformers
 * itself builds from the same configs is checked in e2e.ModelsSuite.
 */
class ModelsSuite extends AnyFunSuite {
  private val json = new ObjectMapper()

  private def config(text: String): ObjectNode = json.readTree(text).asInstanceOf[ObjectNode]

  private def spec(c: ObjectNode, seed: Long = 0): JobSpec = JobSpec.fromTree(Models.specTree(c, "config.json", seed), "config.json")

  private def byName(s: JobSpec): Map[String, TensorSpec] = s.tensors.asScala.map(t => t.name -> t).toMap

  private def std(t: TensorSpec): Double = t.initializer.std.getAsDouble

  /** The single error line of a bad config (without the file prefix). */
  private def error(text: String): String = {
    val e = intercept[SpecException](spec(config(text))).errors.asScala.toSeq
    assert(e.size == 1, e)
    e.head
  }

  private val tiny = """"vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
    "num_attention_heads": 4"""

  // The counts transformers 5.24.0 gives for these configs: the state dict of the model built on the meta device,
  // less its tied keys (e2e.ModelsSuite compares every name and shape with transformers itself).
  private val jobs = Seq(
    ("tinyllama-1.1b", 201, 1100048384L, Dtype.FLOAT32),
    ("llama-3-8b", 291, 8030261248L, Dtype.BFLOAT16),
    ("llama-3.1-70b", 723, 70553706496L, Dtype.BFLOAT16),
    ("llama-3.1-405b", 1137, 405853388800L, Dtype.BFLOAT16),
    ("mistral-7b", 291, 7241732096L, Dtype.BFLOAT16),
    ("qwen2.5-7b", 339, 7615616512L, Dtype.BFLOAT16),
    ("qwen3-8b", 399, 8190735360L, Dtype.BFLOAT16),
    ("gpt2-small", 148, 124439808L, Dtype.FLOAT32),
    ("bert-base", 202, 109514298L, Dtype.FLOAT32),
    ("t5-small", 131, 60506624L, Dtype.FLOAT32))

  test("every config in jobs/ gives transformers' tensor and parameter counts, in the config's dtype, as safetensors") {
    val dirs = Files.list(Path.of("jobs")).iterator.asScala.filter(Files.isDirectory(_)).map(_.getFileName.toString)
    assert(dirs.toSet == jobs.map(_._1).toSet, "jobs/ and this suite list different configs")
    for ((name, count, params, dtype) <- jobs) {
      val p = Path.of("jobs", name, "config.json")
      assert(Models.isConfig(p), name)
      val s = Models.spec(p, 0)
      assert(s.tensors.size == count && s.parameterCount == params && s.dtype == dtype, name)
      assert(s.format.id == "safetensors" && s.config != null && s.warnings.isEmpty, name)
    }
  }

  test("llama: GQA shapes, N(0, initializer_range) weights, ones for norms, biases only when asked, untied head") {
    val s = byName(spec(config("{\"model_type\": \"llama\", " + tiny + ", \"num_key_value_heads\": 2, "
      + "\"initializer_range\": 0.05, \"attention_bias\": true, \"pad_token_id\": 3}")))
    assert(s("model.layers.1.self_attn.k_proj.weight").shape.toSeq == Seq(16L, 32L))
    assert(s("model.layers.1.self_attn.o_proj.bias").init == "zeros_")
    assert(!s.contains("model.layers.0.mlp.up_proj.bias"))
    assert(std(s("model.layers.0.mlp.down_proj.weight")) == 0.05 && std(s("lm_head.weight")) == 0.05)
    assert(s("model.embed_tokens.weight").paddingIdx == 3L)
    assert(s("model.norm.weight").init == "ones_")
    assert(s.size == 1 + 2 * 13 + 2)
  }

  test("initializer_range 0 means 0.02 (transformers reads it as `initializer_range or 0.02`)") {
    val s = byName(spec(config("{\"model_type\": \"mistral\", " + tiny + ", \"num_key_value_heads\": 4, \"initializer_range\": 0}")))
    assert(std(s("lm_head.weight")) == 0.02)
  }

  test("qwen2 has q/k/v biases and no o bias; qwen3 q/k norms of head_dim, its default head_dim 128") {
    val q2 = byName(spec(config("{\"model_type\": \"qwen2\", " + tiny + ", \"num_key_value_heads\": 2}")))
    assert(q2.contains("model.layers.0.self_attn.v_proj.bias") && !q2.contains("model.layers.0.self_attn.o_proj.bias"))
    val q3 = byName(spec(config("{\"model_type\": \"qwen3\", " + tiny.replace("\"num_attention_heads\": 4",
      "\"num_attention_heads\": 64") + "}")))
    assert(q3("model.layers.1.self_attn.k_norm.weight").shape.toSeq == Seq(128L))
    assert(q3("model.layers.1.self_attn.q_proj.weight").shape.toSeq == Seq(8192L, 32L))
    assert(q3("model.layers.1.self_attn.k_proj.weight").shape.toSeq == Seq(4096L, 32L)) // 32 kv heads by default
    // and a config without num_key_value_heads whose heads 32 does not divide is refused
    assert(error("{\"model_type\": \"qwen3\", " + tiny + "}").startsWith("num_key_value_heads: 32 does not divide"))
  }

  test("gemma: norms zero (its RMSNorm scales by 1 + weight), padding row 0 by default, head tied; gemma2's four norms") {
    val g = spec(config("{\"model_type\": \"gemma\", " + tiny + ", \"num_key_value_heads\": 1}"))
    val t = byName(g)
    assert(g.tensors.asScala.filter(_.name.contains("norm")).forall(_.init == "zeros_"))
    assert(t("model.embed_tokens.weight").paddingIdx == 0L && !t.contains("lm_head.weight"))
    assert(t("model.layers.0.self_attn.q_proj.weight").shape.toSeq == Seq(1024L, 32L)) // head_dim 256 by default
    val g2 = byName(spec(config("{\"model_type\": \"gemma2\", " + tiny + ", \"head_dim\": 8}")))
    assert(Seq("input", "post_attention", "pre_feedforward", "post_feedforward")
      .forall(n => g2(s"model.layers.1.${n}_layernorm.weight").init == "zeros_"))
  }

  test("gpt2: Conv1D [in, out], residual projections at initializer_range / sqrt(2 n_layer), head tied, n_inner") {
    val s = byName(spec(config("""{"model_type": "gpt2", "vocab_size": 50, "n_embd": 16, "n_layer": 3, "n_head": 2,
      "n_positions": 8, "n_inner": 40}""")))
    assert(s("transformer.h.2.attn.c_attn.weight").shape.toSeq == Seq(16L, 48L))
    assert(s("transformer.h.2.mlp.c_fc.weight").shape.toSeq == Seq(16L, 40L))
    assert(std(s("transformer.h.0.mlp.c_proj.weight")) == 0.02 / math.sqrt(6.0))
    assert(std(s("transformer.h.0.attn.c_proj.weight")) == 0.02 / math.sqrt(6.0))
    assert(std(s("transformer.h.0.attn.c_attn.weight")) == 0.02 && !s.contains("lm_head.weight"))
    assert(s("transformer.h.0.attn.c_proj.bias").init == "zeros_")
  }

  test("bert: padding row of the word embeddings, cls.predictions.bias zero, decoder tied; pre-training heads") {
    val base = """"model_type": "bert", "vocab_size": 60, "hidden_size": 16, "num_hidden_layers": 1,
      "num_attention_heads": 2, "intermediate_size": 32"""
    val m = byName(spec(config("{" + base + "}")))
    assert(m("bert.embeddings.word_embeddings.weight").paddingIdx == 0L)
    assert(m("bert.embeddings.position_embeddings.weight").paddingIdx == null)
    assert(m("cls.predictions.bias").init == "zeros_" && !m.contains("cls.predictions.decoder.weight"))
    assert(!m.contains("bert.pooler.dense.weight"))
    val p = byName(spec(config("{" + base + ", \"architectures\": [\"BertForPreTraining\"], \"tie_word_embeddings\": false}")))
    assert(p.contains("bert.pooler.dense.weight") && p("cls.seq_relationship.weight").shape.toSeq == Seq(2L, 16L))
    assert(p("cls.predictions.decoder.weight").shape.toSeq == Seq(60L, 16L) && p("cls.predictions.decoder.bias").init == "zeros_")
  }

  test("t5: stds from initializer_factor as Python computes them, relative bias in block 0 only, gated wi_0/wi_1") {
    val s = spec(config("""{"model_type": "t5", "vocab_size": 40, "d_model": 128, "d_kv": 16, "d_ff": 128,
      "num_layers": 2, "num_heads": 4, "feed_forward_proj": "gated-gelu", "initializer_factor": 2.0}"""))
    val t = byName(s)
    assert(s.tensors.asScala.count(_.name.contains("relative_attention_bias")) == 2)
    assert(t("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight").shape.toSeq == Seq(32L, 4L))
    assert(!t.contains("decoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"))
    assert(std(t("encoder.block.1.layer.1.DenseReluDense.wo.weight")) == 2.0 * 0.08838834764831845) // 128 ** -0.5
    assert(StrictMath.pow(128, -0.5) != 0.08838834764831845) // why Pow exists
    assert(std(t("shared.weight")) == 2.0 && t("decoder.final_layer_norm.weight").initializer.args.get("val") == 2.0)
    assert(t.contains("decoder.block.1.layer.2.DenseReluDense.wi_1.weight") && !t.contains("lm_head.weight"))
    assert(s.tensors.asScala.count(_.name.contains("EncDecAttention.q.weight")) == 2)
  }

  test("the YAML spec reads back to the same job, config included") {
    val configs = Files.list(Path.of("src/test/resources/models")).iterator.asScala.toSeq ++
      jobs.map(j => Path.of("jobs", j._1, "config.json"))
    for (p <- configs) {
      val tree = Models.specTree(p, 7)
      val direct = JobSpec.fromTree(tree, p.toString)
      val yaml = JobSpec.parse(SpecYaml.write(tree, java.util.List.of("header")), "x.yaml")
      def digest(s: JobSpec) = (s.seed, s.dtype, s.format, s.tensors.asScala.map(t =>
        (t.name, t.shape.toSeq, t.dtype, t.init, t.args.asScala.toMap, t.paddingIdx)).toSeq)
      assert(digest(yaml) == digest(direct), p)
      assert(yaml.config == direct.config && direct.config == json.readTree(Files.readString(p)), p)
    }
  }

  test("SpecYaml quotes what YAML would misread and keeps floats floats") {
    val tree = json.readTree("""{"seed": 1, "tensors": [{"name": "a", "shape": [2], "init": "zeros_"}],
      "config": {"k": "yes", "n": "123", "f": 1.0E10, "g": 1.0E-6, "s": "a: b", "l": [1, "x,y"], "e": {}, "z": null}}""")
    val back = JobSpec.parse(SpecYaml.write(tree, java.util.List.of()), "x.yaml").config
    assert(back == tree.get("config"), SpecYaml.write(tree, java.util.List.of()))
  }

  test("a job spec is not a config; a JSON file with model_type is") {
    assert(!Models.isConfig(Path.of("jobs/smoke.yaml")))
    assert(Models.isConfig(Path.of("src/test/resources/models/t5.json")))
  }

  // ------------------------------------------------------------------------------------------- bad configs

  test("an unknown or missing model_type names the supported ones") {
    assert(error("{\"model_type\": \"mamba\"}") ==
      "model_type: 'mamba' is not supported; supported: llama, mistral, qwen2, qwen3, gemma, gemma2, gpt2, bert, t5")
    assert(error("{\"hidden_size\": 3}").startsWith("model_type: must be a string naming the model family, got nothing"))
  }

  test("an architecture the family does not build is named with the supported ones") {
    assert(error("{\"model_type\": \"llama\", " + tiny + ", \"architectures\": [\"LlamaForSequenceClassification\"]}") ==
      "architectures: LlamaForSequenceClassification is not supported for llama; supported: LlamaForCausalLM")
  }

  test("a missing size field is an error naming it, not transformers' class default") {
    assert(error("{\"model_type\": \"llama\", \"vocab_size\": 64, \"intermediate_size\": 48, \"num_hidden_layers\": 2, "
      + "\"num_attention_heads\": 4}") == "missing field 'hidden_size', which llama needs")
    assert(error("{\"model_type\": \"gpt2\", \"vocab_size\": 50, \"n_layer\": 3, \"n_head\": 2, \"n_positions\": 8}") ==
      "missing field 'n_embd' (or 'hidden_size'), which gpt2 needs")
  }

  test("a value of the wrong type names the field and the value") {
    assert(error("{\"model_type\": \"llama\", " + tiny.replace("\"hidden_size\": 32", "\"hidden_size\": \"32\"") + "}") ==
      "hidden_size: must be a positive integer, got \"32\"")
    assert(error("{\"model_type\": \"llama\", " + tiny + ", \"tie_word_embeddings\": 1}") ==
      "tie_word_embeddings: must be true or false, got 1")
    assert(error("{\"model_type\": \"llama\", " + tiny + ", \"initializer_range\": \"0.02\"}") ==
      "initializer_range: must be a number, got \"0.02\"")
    assert(error("{\"model_type\": \"llama\", " + tiny + ", \"num_hidden_layers\": 0}") ==
      "num_hidden_layers: must be a positive integer, got 0")
    assert(error("{\"model_type\": \"llama\", " + tiny + ", \"dtype\": \"int8\"}") ==
      "dtype: 'int8' is not a dtype shardinit writes; use float32, float64, bfloat16 or float16")
  }

  test("inconsistent heads: hidden not divisible by heads, kv heads not dividing heads, odd head_dim") {
    assert(error("{\"model_type\": \"llama\", " + tiny.replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 5") + "}") ==
      "hidden_size: The hidden size (32) is not a multiple of the number of attention heads (5).")
    assert(error("{\"model_type\": \"mistral\", " + tiny + ", \"num_key_value_heads\": 3}") ==
      "num_key_value_heads: 3 does not divide num_attention_heads (4); each key/value head serves the same number of "
      + "query heads")
    assert(error("{\"model_type\": \"qwen3\", " + tiny + ", \"num_key_value_heads\": 4, \"head_dim\": 7}") ==
      "head_dim: RoPE requires an even rotary dimension, but got head_dim=7")
    assert(error("""{"model_type": "gpt2", "vocab_size": 50, "n_embd": 16, "n_layer": 3, "n_head": 3, "n_positions": 8}""") ==
      "n_head: `embed_dim` must be divisible by num_heads (got `embed_dim`: 16 and `num_heads`: 3).")
    // qwen3 with head_dim given does not need hidden % heads == 0, as in transformers
    assert(spec(config("{\"model_type\": \"qwen3\", " + tiny.replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 6")
      + ", \"num_key_value_heads\": 2, \"head_dim\": 16}")).tensors.size > 0)
  }

  test("a padding id outside the vocabulary, a bad initializer_range, a bad feed_forward_proj") {
    assert(error("{\"model_type\": \"llama\", " + tiny + ", \"pad_token_id\": 64}") ==
      "pad_token_id: 64 is not a token id: Padding_idx must be within num_embeddings (vocab_size 64)")
    assert(error("{\"model_type\": \"llama\", " + tiny + ", \"initializer_range\": 2.0}") ==
      "initializer_range: Value must be greater or equal to 0.0 and smaller or equal to 1.0, got 2.0")
    assert(error("""{"model_type": "t5", "vocab_size": 40, "d_model": 16, "d_kv": 4, "d_ff": 32, "num_layers": 1,
      "num_heads": 4, "feed_forward_proj": "fancy-gelu"}""").startsWith("feed_forward_proj: `feed_forward_proj`: fancy-gelu is not a valid"))
  }

  test("several problems are all reported, one line each, prefixed by the file") {
    val e = intercept[SpecException](spec(config("{\"model_type\": \"llama\", \"vocab_size\": -1, \"hidden_size\": 32}")))
    assert(e.errors.size == 4, e.errors)
    assert(e.getMessage.linesIterator.forall(_.startsWith("config.json: ")))
  }
}
