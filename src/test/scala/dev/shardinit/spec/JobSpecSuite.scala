package dev.shardinit.spec

import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper
import dev.shardinit.format.FileFormat
import dev.shardinit.init.{ByName, Dtype}
import org.scalatest.funsuite.AnyFunSuite

import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path}
import scala.jdk.CollectionConverters._

class JobSpecSuite extends AnyFunSuite {

  private def load(name: String): JobSpec = JobSpec.load(Path.of("jobs", name))

  private def names(s: JobSpec): Seq[String] = s.tensors.asScala.map(_.name).toSeq

  private def byName(s: JobSpec): Map[String, TensorSpec] = s.tensors.asScala.map(t => t.name -> t).toMap

  /** Everything a parsed spec says, in comparable form. */
  private def digest(s: JobSpec) =
    (s.seed, s.dtype, s.format, s.tensors.asScala.toSeq.map(t =>
      (t.name, t.shape.toSeq, t.dtype, t.hasOwnDtype, t.init, t.args.asScala.toMap, t.location)))

  /** The errors of an invalid spec. */
  private def errors(text: String, file: String = "bad.yaml"): Seq[String] =
    intercept[SpecException](JobSpec.parse(text, file)).errors.asScala.toSeq

  /** The single error of a spec with seed 1 and the given flow-style tensor entries. */
  private def error(tensors: String*): String = {
    val e = errors("seed: 1\ntensors:\n" + tensors.map("  - " + _ + "\n").mkString)
    assert(e.size == 1, e)
    e.head
  }

  private val examples = Seq(
    // file, tensors, parameters
    ("smoke.yaml", 23, 4481L),
    ("gpt2-small.yaml", 148, 124439808L),
    ("tinyllama-1.1b.yaml", 201, 1100048384L),
    ("resnet50.yaml", 161, 25557032L),
    ("lstm.yaml", 9, 31080448L),
    ("sparse.yaml", 2, 4198400L))

  // ------------------------------------------------------------------------------------------- examples

  test("every example in jobs/ parses, with its tensor and parameter counts") {
    val files = Files.list(Path.of("jobs")).iterator.asScala.filter(Files.isRegularFile(_))
      .map(_.getFileName.toString).toSet
    assert(files == examples.map(_._1).toSet, "jobs/ and this suite list different examples")
    for ((f, count, params) <- examples) {
      val s = load(f)
      assert(s.tensors.size == count, f)
      assert(s.parameterCount == params, f)
      assert(s.tensors.asScala.map(_.numel).sum == params, f)
      assert(s.warnings.isEmpty, f)
      assert(s.file == Path.of("jobs", f).toString)
    }
  }

  test("each example's header comment and docs/JOBS.md state its tensor and parameter counts") {
    val doc = Files.readString(Path.of("docs/JOBS.md"))
    for ((f, count, params) <- examples) {
      val text = Files.readString(Path.of("jobs", f))
      val p = f"$params%,d"
      assert(text.contains(s"$count tensors") && text.contains(p), f)
      assert(doc.contains(s"jobs/$f") && doc.contains(p), s"docs/JOBS.md on $f")
    }
  }

  test("smoke uses every initializer, every dtype, several nonlinearities, a 0-D tensor and nested repeats") {
    val s = load("smoke.yaml")
    val ts = s.tensors.asScala.toSeq
    assert(ts.map(_.init).toSet == ByName.FUNCTIONS.keySet.asScala.toSet)
    assert(ts.map(_.dtype).toSet == Dtype.values.toSet)
    assert(ts.exists(_.shape.isEmpty) && ts.exists(_.shape.length == 1))
    val nonlinearities = ts.filter(_.init.startsWith("kaiming")).map(_.initializer.args.get("nonlinearity")).toSet
    assert(nonlinearities == Set("relu", "leaky_relu", "tanh", "selu"))
    assert(names(s).contains("smoke.blocks.1.heads.2.weight"))
    val bytes = ts.map(t => t.numel * t.dtype.bytes).sum
    assert(bytes < (1L << 20))
    assert(bytes == 18168)
    // every tensor really fills
    for (t <- ts) assert(t.initializer.fillAll().remaining == t.numel * t.dtype.bytes, t.name)
  }

  test("gpt2-small follows Hugging Face: Conv1D [in, out], scaled residual projections, LayerNorm ones/zeros") {
    val s = load("gpt2-small.yaml")
    val t = byName(s)
    assert(names(s).take(3) == Seq("transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.ln_1.weight"))
    assert(names(s).takeRight(2) == Seq("transformer.ln_f.weight", "transformer.ln_f.bias"))
    assert(t("transformer.h.11.attn.c_attn.weight").shape.toSeq == Seq(768L, 2304L))
    assert(t("transformer.h.11.mlp.c_fc.weight").shape.toSeq == Seq(768L, 3072L))
    assert(t("transformer.h.11.mlp.c_proj.weight").shape.toSeq == Seq(3072L, 768L))
    val scaled = 0.02 / math.sqrt(2.0 * 12)
    for (i <- 0 until 12; p <- Seq("attn", "mlp")) {
      assert(t(s"transformer.h.$i.$p.c_proj.weight").initializer.std.getAsDouble == scaled)
    }
    assert(t("transformer.h.3.attn.c_attn.weight").initializer.std.getAsDouble == 0.02)
    assert(t("transformer.h.3.ln_2.weight").init == "ones_" && t("transformer.h.3.ln_2.bias").init == "zeros_")
    assert(s.tensors.asScala.forall(x => x.dtype == Dtype.FLOAT32 && !x.hasOwnDtype))
  }

  test("tinyllama-1.1b has grouped-query k/v projections, untied lm_head and no biases") {
    val s = load("tinyllama-1.1b.yaml")
    val t = byName(s)
    assert(t("model.layers.21.self_attn.k_proj.weight").shape.toSeq == Seq(256L, 2048L))
    assert(t("model.layers.21.self_attn.q_proj.weight").shape.toSeq == Seq(2048L, 2048L))
    assert(t("model.layers.0.mlp.down_proj.weight").shape.toSeq == Seq(2048L, 5632L))
    assert(t("lm_head.weight").shape.toSeq == Seq(32000L, 2048L))
    assert(!names(s).exists(_.endsWith(".bias")))
    assert(s.dtype == Dtype.BFLOAT16)
    for (x <- s.tensors.asScala if x.shape.length == 2) assert(x.initializer.std.getAsDouble == 0.02, x.name)
  }

  test("resnet50 follows torchvision: kaiming_normal_ fan_out relu, BatchNorm ones/zeros, nn.Linear defaults") {
    val s = load("resnet50.yaml")
    val t = byName(s)
    val convs = s.tensors.asScala.filter(_.shape.length == 4)
    assert(convs.size == 53)
    for (c <- convs) {
      val sh = c.shape
      assert(c.initializer.std.getAsDouble == math.sqrt(2.0) / math.sqrt((sh(0) * sh(2) * sh(3)).toDouble), c.name)
    }
    assert(t("layer3.0.downsample.0.weight").shape.toSeq == Seq(1024L, 512L, 1L, 1L))
    assert(t("layer3.5.conv1.weight").shape.toSeq == Seq(256L, 1024L, 1L, 1L))
    assert(t("layer4.2.conv3.weight").shape.toSeq == Seq(2048L, 512L, 1L, 1L))
    assert(!t.contains("layer4.3.conv1.weight") && !t.contains("layer1.1.downsample.0.weight"))
    // nn.Linear's reset_parameters: kaiming_uniform_(a=sqrt(5)) gives bound 1/sqrt(fan_in), as does the bias.
    assert(math.abs(t("fc.weight").initializer.bound.getAsDouble - 1 / math.sqrt(2048)) < 1e-17)
    assert(t("fc.bias").initializer.args.asScala == Map("a" -> -1 / math.sqrt(2048), "b" -> 1 / math.sqrt(2048)))
  }

  test("lstm and sparse describe their layers") {
    val l = byName(load("lstm.yaml"))
    assert(l("lstm.weight_ih_l0").shape.toSeq == Seq(4096L, 512L) && l("lstm.weight_ih_l1").shape.toSeq == Seq(4096L, 1024L))
    assert(l("lstm.weight_hh_l1").init == "orthogonal_" && l("lstm.weight_ih_l1").init == "xavier_uniform_")
    val sp = byName(load("sparse.yaml"))
    assert(sp("encoder.weight").initializer.args.asScala == Map("sparsity" -> 0.9, "std" -> 0.01))
  }

  // ------------------------------------------------------------------------------------------- repeats

  test("repeat blocks expand in file order, by index; ranges and nesting") {
    val s = JobSpec.parse(
      """seed: 3
        |tensors:
        |  - {name: first, shape: [2], init: zeros_}
        |  - repeat: {i: 2}
        |    tensors:
        |      - {name: 'b.{i}.w', shape: [2, 2], init: eye_}
        |      - repeat: {j: [2, 4]}
        |        tensors:
        |          - {name: 'b.{i}.h.{j}.{i}', shape: [2], init: ones_}
        |      - {name: 'b.{i}.end', shape: [1], init: ones}
        |  - repeat: {k: [5, 6]}
        |    tensors: [{name: 'k{k}', shape: [], init: normal_}]
        |  - {name: last, shape: [3], init: zeros}
        |""".stripMargin, "r.yaml")
    assert(names(s) == Seq("first", "b.0.w", "b.0.h.2.0", "b.0.h.3.0", "b.0.end", "b.1.w", "b.1.h.2.1",
      "b.1.h.3.1", "b.1.end", "k5", "last"))
    assert(s.tensors.asScala.map(_.location).toSeq == Seq("tensors[0]", "tensors[1].tensors[0]{i=0}",
      "tensors[1].tensors[1].tensors[0]{i=0,j=2}", "tensors[1].tensors[1].tensors[0]{i=0,j=3}",
      "tensors[1].tensors[2]{i=0}", "tensors[1].tensors[0]{i=1}", "tensors[1].tensors[1].tensors[0]{i=1,j=2}",
      "tensors[1].tensors[1].tensors[0]{i=1,j=3}", "tensors[1].tensors[2]{i=1}", "tensors[2].tensors[0]{k=5}",
      "tensors[3]"))
    assert(s.tensors.asScala.map(_.init).toSeq.distinct == Seq("zeros_", "eye_", "ones_", "normal_"))
    // each expanded tensor is resolved under its own name
    assert(s.tensors.get(1).initializer.target.name == "b.0.w")
  }

  test("repeat blocks are checked: count, range, one identifier, no shadowing, no tensor keys") {
    def one(repeat: String) = {
      val e = errors(s"seed: 1\ntensors:\n  - repeat: $repeat\n    tensors: [{name: 'w{i}', shape: [1], init: ones_}]\n")
      assert(e.size == 1, e)
      e.head
    }
    assert(one("{i: 0}") == "tensors[0].repeat.i: count must be a positive integer, got 0")
    assert(one("{i: [5, 2]}") == "tensors[0].repeat.i: range [start, end] needs 0 <= start < end, got [5,2]")
    assert(one("{i: [-1, 2]}") == "tensors[0].repeat.i: range [start, end] needs 0 <= start < end, got [-1,2]")
    assert(one("{i: 2.5}") == "tensors[0].repeat.i: must be a count or a [start, end] range of integers, got 2.5")
    assert(one("{i: 2, j: 3}") == "tensors[0].repeat: must bind one variable to a count or a [start, end] range, " +
      "like {i: 12} or {i: [2, 5]}; got {\"i\":2,\"j\":3}")
    assert(errors("seed: 1\ntensors:\n  - repeat: {i: 2}\n    tensors:\n      - repeat: {i: 2}\n" +
      "        tensors: [{name: 'w{i}', shape: [1], init: ones_}]\n") ==
      Seq("tensors[0].tensors[0].repeat: variable 'i' is already bound by an enclosing repeat"))
    assert(errors("seed: 1\ntensors:\n  - {repeat: {i: 2}, name: x, tensors: [{name: 'w{i}', shape: [1], init: ones_}]}\n") ==
      Seq("tensors[0]: unknown key 'name' in a repeat block; allowed: repeat, tensors"))
    assert(errors("seed: 1\ntensors:\n  - repeat: {i: 2}\n") == Seq("tensors[0]: missing field 'tensors'"))
    assert(errors("seed: 1\ntensors:\n  - repeat: {i: 2}\n    tensors: []\n") == Seq("tensors[0].tensors: must not be empty"))
    assert(errors("seed: 1\ntensors:\n  - repeat: {i: 100000}\n    tensors:\n      - repeat: {j: 100000}\n" +
      "        tensors: [{name: 'w{i}.{j}', shape: [1], init: ones_}]\n") ==
      Seq("tensors: the repeat blocks expand to 10000000000 tensors; at most 1000000 are supported"))
  }

  test("an error in a repeated entry is reported once, at the entry") {
    assert(errors("seed: 1\ntensors:\n  - repeat: {i: 12}\n    tensors:\n" +
      "      - {name: 'h.{i}.w', shape: [4, 0], init: ones_}\n      - {name: 'h.{i}.b', shape: [4], init: normal_, args: {std: -1}}\n") ==
      Seq("tensors[0].tensors[0] 'h.{i}.w': shape: dimension 1 must be positive, got 0",
        "tensors[0].tensors[1] 'h.{i}.b': args.std: normal expects std >= 0.0, but found std -1"))
  }

  // ----------------------------------------------------------------------------------- YAML and JSON

  test("YAML and JSON give the same spec; the file extension picks the parser") {
    val yaml =
      """seed: -5
        |dtype: bf16
        |format: Arrow
        |tensors:
        |  - name: a
        |    shape: [3, 4]
        |    init: kaiming_uniform
        |    args: {a: 1, mode: fan_out, nonlinearity: leaky_relu}
        |  - repeat: {i: [1, 3]}
        |    tensors:
        |      - {name: 'b{i}', shape: [5], dtype: float64, init: uniform_, args: {a: -0.5, b: 2}}
        |""".stripMargin
    val json =
      """{"seed": -5, "dtype": "bf16", "format": "Arrow", "tensors": [
        |  {"name": "a", "shape": [3, 4], "init": "kaiming_uniform",
        |   "args": {"a": 1, "mode": "fan_out", "nonlinearity": "leaky_relu"}},
        |  {"repeat": {"i": [1, 3]}, "tensors": [
        |    {"name": "b{i}", "shape": [5], "dtype": "float64", "init": "uniform_", "args": {"a": -0.5, "b": 2}}]}]}
        |""".stripMargin
    val y = JobSpec.parse(yaml, "x.yaml")
    val j = JobSpec.parse(json, "x.json")
    assert(digest(y) == digest(j))
    assert(digest(JobSpec.parse(json, "x.yml")) == digest(j)) // JSON is YAML
    assert(digest(JobSpec.parse(yaml, "x.spec")) == digest(y)) // other names: YAML
    assert(y.format == FileFormat.ARROW && y.dtype == Dtype.BFLOAT16)
    assert(names(y) == Seq("a", "b1", "b2"))
    // a .json file is parsed strictly as JSON
    assert(errors(yaml, "x.json").head.startsWith("line 1, column 1: invalid JSON: Unrecognized token 'seed'"))
  }

  test("every example converted to JSON parses to the same spec") {
    val yaml = new YAMLMapper()
    val json = new ObjectMapper()
    for ((f, _, _) <- examples) {
      val text = Files.readString(Path.of("jobs", f))
      val asJson = json.writeValueAsString(yaml.readTree(text))
      assert(digest(JobSpec.parse(asJson, f + ".json")) == digest(JobSpec.parse(text, f)), f)
    }
  }

  test("argument values keep their types: integers Long, floats Double, booleans, strings") {
    val s = JobSpec.parse("seed: 1\ntensors:\n  - {name: w, shape: [4, 4], init: kaiming_normal_, " +
      "args: {a: 2, mode: fan_in, nonlinearity: leaky_relu}}\n  - {name: v, shape: [4, 4], init: normal_, args: {std: 1.0e-2, mean: 1}}\n", null)
    val a = s.tensors.get(0).args.asScala
    assert(a("a") == java.lang.Long.valueOf(2) && a("mode") == "fan_in")
    assert(s.tensors.get(1).args.asScala.toMap == Map("std" -> java.lang.Double.valueOf(0.01), "mean" -> java.lang.Long.valueOf(1)))
    assert(s.tensors.get(0).args.keySet.asScala.toSeq == Seq("a", "mode", "nonlinearity"))
    assert(error("{name: w, shape: [4, 4], init: kaiming_normal_, args: {a: true, nonlinearity: leaky_relu}}") ==
      "tensors[0] 'w': args.a: kaiming_normal_: negative_slope True not a valid number")
    assert(error("{name: w, shape: [4, 4], init: normal_, args: {std: [1]}}") ==
      "tensors[0] 'w': args.std: must be a number, a string or a boolean, got [1]")
  }

  // ------------------------------------------------------------------------------------ the job's fields

  test("defaults: dtype float32, format parquet; a tensor's own dtype overrides the default") {
    val s = JobSpec.parse("seed: 9\ntensors:\n  - {name: a, shape: [2], init: ones_}\n  - {name: b, shape: [2], dtype: half, init: ones_}\n", "d.yaml")
    assert(s.seed == 9 && s.dtype == Dtype.FLOAT32 && s.format == FileFormat.PARQUET)
    assert(s.tensors.asScala.map(_.dtype).toSeq == Seq(Dtype.FLOAT32, Dtype.FLOAT16))
    assert(s.tensors.asScala.map(_.initializer.target.dtype).toSeq == Seq(Dtype.FLOAT32, Dtype.FLOAT16))
  }

  test("withSeed, withDtype and withFormat re-resolve; resolve(seed) reuses the parsed initializer") {
    val s = JobSpec.parse("seed: 9\ntensors:\n  - {name: a, shape: [2, 3], init: normal_}\n  - {name: b, shape: [2], dtype: float64, init: ones_}\n", "d.yaml")
    val t = s.tensors.get(0)
    assert(t.resolve(9) eq t.initializer)
    assert(t.resolve(10).target.seed == 10)
    val s2 = s.withSeed(10).withDtype(Dtype.BFLOAT16).withFormat(FileFormat.parse("ARROW"))
    assert(s2.seed == 10 && s2.dtype == Dtype.BFLOAT16 && s2.format == FileFormat.ARROW)
    assert(s2.tensors.asScala.map(_.initializer.target.dtype).toSeq == Seq(Dtype.BFLOAT16, Dtype.FLOAT64))
    assert(s2.tensors.asScala.forall(_.initializer.target.seed == 10))
    assert(s.tensors.get(0).initializer.target.seed == 9) // the original is unchanged
    assert(intercept[IllegalArgumentException](FileFormat.parse("csv")).getMessage == "unknown format 'csv'; use one of parquet, arrow, safetensors")
    val c = JobSpec.parse("seed: 1\ntensors:\n  - repeat: {i: 3}\n    tensors: [{name: 'c{i}', shape: [2], init: constant_, args: {val: 100000}}]\n", "c.yaml")
    val e = intercept[SpecException](c.withDtype(Dtype.FLOAT16))
    assert(e.getMessage == "c.yaml: tensors[0].tensors[0]{i=0} 'c0': init: constant_: value cannot be converted to type float16 without overflow")
  }

  test("warnings torch would give are kept, once per entry") {
    val s = JobSpec.parse("seed: 1\ntensors:\n  - repeat: {i: 2}\n    tensors: [{name: 'w{i}', shape: [8], init: trunc_normal_, args: {mean: 5}}]\n", "w.yaml")
    assert(s.warnings.asScala == Seq("tensors[0].tensors[0]{i=0} 'w0': init: mean is more than 2 std from [a, b] in " +
      "nn.init.trunc_normal_. The distribution of values may be incorrect."))
  }

  // --------------------------------------------------------------------------------------- rejections

  test("rejects an unknown top-level key") {
    assert(errors("seed: 1\nsed: 2\ntensors: [{name: w, shape: [2], init: ones_}]\n") ==
      Seq("unknown key 'sed'; allowed: seed, dtype, format, config, tensors"))
  }

  test("rejects an unknown tensor key") {
    assert(error("{name: w, shape: [2], init: normal_, std: 1}") ==
      "tensors[0] 'w': unknown key 'std'; allowed: name, shape, dtype, init, args, padding_idx")
  }

  test("padding_idx zeroes a row after the init and is kept with the tensor; a bad one names the field") {
    val s = JobSpec.parse("seed: 1\ntensors:\n  - {name: emb, shape: [6, 4], init: normal_, args: {std: 0.02}, "
      + "padding_idx: -1}\n", "j.yaml")
    val t = s.tensors.get(0)
    assert(t.paddingIdx == -1L && t.initializer.paddingIdx.getAsLong == 5L)
    assert(t.resolve(7L).paddingIdx.getAsLong == 5L && s.withDtype(Dtype.BFLOAT16).tensors.get(0)
      .initializer.paddingIdx.getAsLong == 5L)
    assert(error("{name: emb, shape: [6, 4], init: normal_, padding_idx: 6}") ==
      "tensors[0] 'emb': padding_idx: Padding_idx must be within num_embeddings: 6 is not in [-6, 6) "
      + "(dimension 0 of the shape)")
    assert(error("{name: emb, shape: [6, 4], init: normal_, padding_idx: one}") ==
      "tensors[0] 'emb': padding_idx: must be an integer, got \"one\"")
  }

  test("rejects an unknown argument, with ByName's message") {
    assert(error("{name: w, shape: [2, 2], init: normal_, args: {sigma: 1}}") ==
      "tensors[0] 'w': args.sigma: normal_: unknown argument 'sigma'; accepted: mean, std")
    assert(error("{name: w, shape: [2], init: ones_, args: {val: 1}}") ==
      "tensors[0] 'w': args.val: ones_: unknown argument 'val'; it takes no arguments")
  }

  test("rejects an argument of the wrong type") {
    assert(error("{name: w, shape: [2, 2], init: normal_, args: {std: '0.1'}}") ==
      "tensors[0] 'w': args.std: normal_: argument 'std' must be a number, got string '0.1'")
    assert(error("{name: w, shape: [4, 2, 3], init: dirac_, args: {groups: 2.0}}") ==
      "tensors[0] 'w': args.groups: dirac_: argument 'groups' must be an integer, got double 2.0")
  }

  test("rejects a null argument") {
    assert(error("{name: w, shape: [2, 2], init: normal_, args: {std: null}}") ==
      "tensors[0] 'w': args.std: must not be null; leave the argument out to use its default")
  }

  test("rejects a missing required argument and an unknown initializer") {
    assert(error("{name: w, shape: [2], init: constant_}") ==
      "tensors[0] 'w': args.val: constant_: missing required argument 'val'")
    assert(error("{name: w, shape: [2], init: normall_}") == "tensors[0] 'w': init: unknown init 'normall_'; use one of " +
      "constant_, dirac_, eye_, kaiming_normal_, kaiming_uniform_, normal_, ones_, orthogonal_, sparse_, " +
      "trunc_normal_, uniform_, xavier_normal_, xavier_uniform_, zeros_")
    assert(error("{name: w, shape: [2], init: 5}") == "tensors[0] 'w': init: must be a string, got 5")
  }

  test("rejects a missing init") {
    assert(error("{name: w, shape: [2]}") == "tensors[0] 'w': missing field 'init'")
  }

  test("rejects a missing name") {
    assert(error("{shape: [2], init: ones_}") == "tensors[0]: missing field 'name'")
  }

  test("rejects an empty name, and a name that is not a string") {
    assert(error("{name: '', shape: [2], init: ones_}") == "tensors[0]: name: must not be empty")
    assert(error("{name: 12, shape: [2], init: ones_}") == "tensors[0]: name: must be a string, got 12")
  }

  test("rejects a missing shape") {
    assert(error("{name: w, init: ones_}") == "tensors[0] 'w': missing field 'shape'")
  }

  test("rejects a shape that is not a list") {
    assert(error("{name: w, shape: 768, init: ones_}") == "tensors[0] 'w': shape: must be a list of integers, got 768")
  }

  test("rejects a dimension that is not an integer") {
    assert(error("{name: w, shape: [768, 2.5], init: ones_}") ==
      "tensors[0] 'w': shape: dimension 1 must be an integer, got 2.5")
    assert(error("{name: w, shape: ['768'], init: ones_}") ==
      "tensors[0] 'w': shape: dimension 0 must be an integer, got \"768\"")
  }

  test("rejects a zero dimension") {
    assert(errors("seed: 1\ntensors:\n  - {name: a, shape: [2], init: ones_}\n  - {name: b, shape: [2], init: ones_}\n" +
      "  - {name: c, shape: [2], init: ones_}\n  - {name: model.layers.0.q_proj.weight, shape: [4096, 0], init: normal_}\n") ==
      Seq("tensors[3] 'model.layers.0.q_proj.weight': shape: dimension 1 must be positive, got 0"))
  }

  test("rejects a negative dimension, and one beyond 64 bits") {
    assert(error("{name: w, shape: [-3], init: ones_}") == "tensors[0] 'w': shape: dimension 0 must be positive, got -3")
    assert(error("{name: w, shape: [99999999999999999999], init: ones_}") ==
      "tensors[0] 'w': shape: dimension 0 must be at most 9223372036854775807, got 99999999999999999999")
  }

  test("rejects an element count beyond 63 bits") {
    assert(error("{name: w, shape: [4294967296, 4294967296], init: ones_}") ==
      "tensors[0] 'w': shape: [4294967296, 4294967296] has more than 9223372036854775807 elements; the element " +
      "count must fit in 63 bits")
  }

  test("accepts a 0-D tensor") {
    val s = JobSpec.parse("seed: 1\ntensors: [{name: s, shape: [], init: normal_}]\n", "z.yaml")
    assert(s.tensors.get(0).numel == 1 && s.tensors.get(0).shape.isEmpty)
  }

  test("rejects a duplicate name, also after repeat expansion") {
    assert(error("{name: w, shape: [2], init: ones_}", "{name: v, shape: [2], init: ones_}", "{name: w, shape: [3], init: zeros_}") ==
      "tensors[2] 'w': duplicate tensor name (first at tensors[0])")
    assert(errors("seed: 1\ntensors:\n  - {name: h.1.w, shape: [2], init: ones_}\n  - repeat: {i: 3}\n" +
      "    tensors: [{name: 'h.{i}.w', shape: [2], init: ones_}, {name: h.b, shape: [2], init: ones_}]\n") ==
      Seq("tensors[1].tensors[0]{i=1} 'h.1.w': duplicate tensor name (first at tensors[0])",
        "tensors[1].tensors[1]{i=1} 'h.b': duplicate tensor name (first at tensors[1].tensors[1]{i=0})"))
  }

  test("rejects an unknown dtype") {
    assert(errors("seed: 1\ndtype: float8\ntensors: [{name: w, shape: [2], init: ones_}]\n") ==
      Seq("dtype: unknown dtype 'float8'; use one of float32, float64, bfloat16, float16"))
    assert(error("{name: w, shape: [2], dtype: int8, init: ones_}") ==
      "tensors[0] 'w': dtype: unknown dtype 'int8'; use one of float32, float64, bfloat16, float16")
  }

  test("rejects an unknown format") {
    assert(errors("seed: 1\nformat: csv\ntensors: [{name: w, shape: [2], init: ones_}]\n") ==
      Seq("format: unknown format 'csv'; use one of parquet, arrow, safetensors"))
  }

  test("rejects a seed that is not a signed 64-bit integer, and a missing seed") {
    val t = "\ntensors: [{name: w, shape: [2], init: ones_}]\n"
    assert(errors("seed: abc" + t) == Seq("seed: must be an integer, got \"abc\""))
    assert(errors("seed: 1.5" + t) == Seq("seed: must be an integer, got 1.5"))
    assert(errors("seed: 9223372036854775808" + t) == Seq("seed: must be a signed 64-bit integer, got 9223372036854775808"))
    assert(JobSpec.parse("seed: -9223372036854775808" + t, "s.yaml").seed == Long.MinValue)
    assert(errors(t) == Seq("missing field 'seed'"))
  }

  test("rejects missing, empty or malformed tensors and an empty spec") {
    assert(errors("seed: 1\n") == Seq("missing field 'tensors'"))
    assert(errors("seed: 1\ntensors: []\n") == Seq("tensors: must not be empty"))
    assert(errors("seed: 1\ntensors: {name: w}\n") == Seq("tensors: must be a list of tensors, got {\"name\":\"w\"}"))
    assert(errors("seed: 1\ntensors: [w]\n") == Seq("tensors[0]: must be a mapping (a tensor, a module or a repeat block), got \"w\""))
    assert(errors("# nothing\n") == Seq("the job spec is empty; it needs at least 'seed' and 'tensors'"))
    assert(errors("[1, 2]\n") == Seq("the job spec must be a mapping with keys seed, dtype, format, config, tensors; got [1,2]"))
  }

  test("rejects sparse_ on a 3-D tensor") {
    assert(error("{name: w, shape: [4, 4, 4], init: sparse_, args: {sparsity: 0.5}}") ==
      "tensors[0] 'w': init: sparse_: Only tensors with 2 dimensions are supported")
  }

  test("rejects eye_ on a 3-D tensor") {
    assert(error("{name: w, shape: [4, 4, 4], init: eye_}") ==
      "tensors[0] 'w': init: eye_: Only tensors with 2 dimensions are supported")
  }

  test("rejects dirac_ on a 2-D tensor") {
    assert(error("{name: w, shape: [4, 4], init: dirac_}") ==
      "tensors[0] 'w': init: dirac_: Only tensors with 3, 4, or 5 dimensions are supported")
  }

  test("rejects dirac_ groups that do not divide dimension 0") {
    assert(error("{name: w, shape: [6, 4, 3], init: dirac_, args: {groups: 4}}") ==
      "tensors[0] 'w': args.groups: dirac_: dim 0 must be divisible by groups")
  }

  test("rejects a sparsity outside [0, 1]") {
    assert(error("{name: w, shape: [4, 4], init: sparse_, args: {sparsity: 1.5}}") ==
      "tensors[0] 'w': args.sparsity: sparse_ expects 0 <= sparsity <= 1, but found sparsity 1.5")
  }

  test("rejects std < 0") {
    assert(error("{name: v, shape: [2], init: ones_}", "{name: w, shape: [4, 4], init: normal_, args: {std: -1}}") ==
      "tensors[1] 'w': args.std: normal expects std >= 0.0, but found std -1")
    assert(error("{name: w, shape: [4, 4], init: sparse_, args: {sparsity: 0.1, std: -0.5}}") ==
      "tensors[0] 'w': args.std: sparse_: normal expects std >= 0.0, but found std -0.5")
    // a negative gain makes a negative std, which is not an argument of xavier_normal_
    assert(error("{name: w, shape: [4, 4], init: xavier_normal_, args: {gain: -1}}") ==
      "tensors[0] 'w': init: xavier_normal_: normal expects std >= 0.0, but found std -0.5")
  }

  test("rejects trunc_normal_ with a > b") {
    assert(error("{name: w, shape: [4], init: trunc_normal_, args: {a: 1, b: -1}}") ==
      "tensors[0] 'w': args: trunc_normal_ expects a <= b, but found a=1 > b=-1")
  }

  test("rejects kaiming's unknown nonlinearity and mode, and fans of a 1-D tensor") {
    assert(error("{name: w, shape: [4, 4], init: kaiming_normal_, args: {nonlinearity: gelu}}") ==
      "tensors[0] 'w': args.nonlinearity: kaiming_normal_: Unsupported nonlinearity gelu")
    assert(error("{name: w, shape: [4, 4], init: kaiming_uniform_, args: {mode: fan_avg}}") ==
      "tensors[0] 'w': args.mode: kaiming_uniform_: Mode fan_avg not supported, please use one of ['fan_in', 'fan_out']")
    assert(error("{name: w, shape: [4], init: xavier_uniform_}") ==
      "tensors[0] 'w': init: xavier_uniform_: Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
  }

  test("rejects an unknown placeholder") {
    assert(errors("seed: 1\ntensors:\n  - repeat: {i: 2}\n    tensors: [{name: 'h.{j}.w', shape: [2], init: ones_}]\n") ==
      Seq("tensors[0].tensors[0] 'h.{j}.w': name: unknown placeholder '{j}'; the enclosing repeats bind i"))
    assert(error("{name: 'w{i}', shape: [2], init: ones_}") ==
      "tensors[0] 'w{i}': name: unknown placeholder '{i}'; the tensor is not inside a repeat block")
    assert(error("{name: 'w{i', shape: [2], init: ones_}") == "tensors[0] 'w{i': name: '{' without a matching '}'")
    assert(error("{name: 'w}', shape: [2], init: ones_}") == "tensors[0] 'w}': name: '}' without a matching '{'")
  }

  test("rejects unparsable YAML with the line and column") {
    assert(errors("seed: 1\ntensors: [1, 2\n") == Seq("line 3, column 1: invalid YAML: expected ',' or ']', but got " +
      "<stream end> (while parsing a flow sequence at line 2, column 10)"))
    val e = intercept[SpecException](JobSpec.parse("seed: 1\n\tdtype: float32\n", "tab.yaml"))
    assert(e.getMessage.startsWith("tab.yaml: line 2, column 1: invalid YAML: "))
    assert(errors("{\"seed\": 1,}", "x.json").head.startsWith("line 1, column 12: invalid JSON: "))
  }

  test("rejects a missing or unreadable file") {
    val e = intercept[SpecException](JobSpec.load(Path.of("jobs", "no-such-job.yaml")))
    assert(e.getMessage == "cannot read job spec " + Path.of("jobs", "no-such-job.yaml") + ": no such file")
    assert(e.file == null)
    assert(intercept[SpecException](JobSpec.load(Path.of("jobs"))).getMessage == "cannot read job spec jobs: is a directory")
    val bad = Files.createTempFile("job", ".yaml")
    try {
      Files.write(bad, Array[Byte](0x73, 0x65, 0xff.toByte, 0x0a))
      assert(intercept[SpecException](JobSpec.load(bad)).getMessage == s"cannot read job spec $bad: not UTF-8 text")
    } finally Files.delete(bad)
  }

  test("rejects a duplicate key, in YAML and in JSON") {
    assert(errors("seed: 1\nseed: 2\ntensors: [{name: w, shape: [2], init: ones_}]\n") ==
      Seq("line 2, column 5: duplicate key 'seed'"))
    assert(errors("seed: 1\ntensors:\n  - name: w\n    shape: [2]\n    name: v\n    init: ones_\n") ==
      Seq("line 5, column 9: duplicate key 'name'"))
    assert(errors("{\"seed\": 1, \"seed\": 2}", "x.json") == Seq("line 1, column 19: duplicate key 'seed'"))
  }

  test("rejects a second YAML document") {
    assert(errors("seed: 1\ntensors: [{name: w, shape: [2], init: ones_}]\n---\nseed: 2\n") ==
      Seq("line 4, column 1: unexpected content after the job spec (a second document?)"))
  }

  test("reports every error, one per line, each prefixed with the file name") {
    val e = intercept[SpecException](JobSpec.parse(
      "seed: x\nformat: csv\ntensors:\n  - {name: a, shape: [0], init: ones_}\n  - {name: b, shape: [2]}\n", "many.yaml"))
    assert(e.errors.asScala == Seq("seed: must be an integer, got \"x\"", "format: unknown format 'csv'; use one of parquet, arrow, safetensors",
      "tensors[0] 'a': shape: dimension 0 must be positive, got 0", "tensors[1] 'b': missing field 'init'"))
    assert(e.getMessage.split("\n").toSeq == e.errors.asScala.map("many.yaml: " + _))
    assert(e.file == "many.yaml")
    val lots = "seed: 1\ntensors:\n" + (0 until 60).map(i => s"  - {name: w$i, shape: [0], init: ones_}\n").mkString
    val l = errors(lots)
    assert(l.size == 51 && l.last == "... and 10 more errors")
  }

  test("init is spelled as dtype may be: any case, with or without the underscore and a torch.nn.init. prefix") {
    for (spelling <- Seq("normal_", "normal", "Normal", "NORMAL_", "torch.nn.init.normal_", "nn.init.normal", " normal_ "))
      assert(JobSpec.parse(s"seed: 1\ntensors: [{name: w, shape: [4], init: '$spelling'}]", "a.yaml")
        .tensors.get(0).init == "normal_", spelling)
    assert(ByName.canonical("torch.nn.init.kaiming_uniform_") == "kaiming_uniform_")
  }

  test("byte sizes are exact: a shape that fits in 63 bits of elements but not of bytes is an error, also after --dtype") {
    assert(error("{name: w, shape: [2305843009213693952], init: zeros_}") == "tensors[0] 'w': shape: " +
      "[2305843009213693952] holds 2305843009213693952 float32 elements, more than 9223372036854775807 bytes")
    val fine = JobSpec.parse("seed: 1\ndtype: bfloat16\ntensors: [{name: w, shape: [1], init: zeros_, dtype: float32}, " +
      "{name: v, shape: [4611686018427387900], init: zeros_}]", "b.yaml")
    val e = intercept[SpecException](fine.withDtype(Dtype.FLOAT32))
    assert(e.errors.asScala.toSeq == Seq("tensors[1] 'v': shape: [4611686018427387900] holds 4611686018427387900 " +
      "float32 elements, more than 9223372036854775807 bytes"))
  }

  test("labels shorten long names, so an error stays one readable line") {
    val name = "x" * 10000
    assert(SpecException.label("tensors[0]", name) == s"tensors[0] '${"x" * 60}...${"x" * 10}' (10000 characters)")
    assert(SpecException.label("tensors[0]", "w") == "tensors[0] 'w'")
  }
}
