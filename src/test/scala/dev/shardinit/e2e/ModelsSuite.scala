package dev.shardinit.e2e

import com.fasterxml.jackson.databind.ObjectMapper
import dev.shardinit.model.Models
import dev.shardinit.spark.SparkSuiteBase

import java.io.File
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path}
import scala.jdk.CollectionConverters._

/**
 * Checkpoints made from Hugging Face configs, checked against transformers and torch themselves
 * (src/test/python/check_models.py): the meta model's names, shapes and dtypes, from_pretrained with no missing,
 * unexpected or mismatched key and every tensor bit for bit, each tensor's law against transformers' own draw,
 * and the stds Python computes. Also: the printed spec gives the same checkpoint, verify covers config.json, and
 * export carries it.
 */
class ModelsSuite extends SparkSuiteBase {
  private val python = new File(".venv/bin/python")
  private val checker = "src/test/python/check_models.py"
  private val json = new ObjectMapper()

  /** Test config → the transformers class that loads it (what its architectures say, or the family's default). */
  private val families = Seq(
    "llama" -> "LlamaForCausalLM", "llama-tied" -> "LlamaForCausalLM", "mistral" -> "MistralForCausalLM",
    "qwen2" -> "Qwen2ForCausalLM", "qwen3" -> "Qwen3ForCausalLM", "gemma" -> "GemmaForCausalLM",
    "gemma2" -> "Gemma2ForCausalLM", "gpt2" -> "GPT2LMHeadModel", "bert" -> "BertForPreTraining",
    "bert-mlm" -> "BertForMaskedLM", "t5" -> "T5ForConditionalGeneration", "t5-relu" -> "T5ForConditionalGeneration")

  private def config(name: String): String = s"src/test/resources/models/$name.json"

  private def generate(args: String*): Unit = {
    val r = cli("generate" +: args: _*)
    assert(r.code == 0, r.err)
  }

  private def python(args: String*): String = {
    assert(python.canExecute, s"$python is missing: .ci/python-env makes it (Maven runs it before the tests)")
    val p = new ProcessBuilder((python.getPath +: checker +: args).asJava).redirectErrorStream(false).start()
    val err = new Thread(() => p.getErrorStream.transferTo(java.io.OutputStream.nullOutputStream()))
    err.start()
    val text = new String(p.getInputStream.readAllBytes(), StandardCharsets.UTF_8)
    err.join()
    assert(p.waitFor() == 0, text)
    text
  }

  private def bytesOf(dir: Path): Map[String, Seq[Byte]] =
    listFiles(dir).map(f => f -> Files.readAllBytes(dir.resolve(f)).toSeq).toMap

  test("every family, checked by transformers 5.24 and torch: names, shapes, dtypes, loading, laws, stds") {
    val cases = families.map { case (name, cls) =>
      val out = dir(s"hf-$name")
      generate(config(name), "--out", out.toString, "--seed", "11")
      assert(Files.exists(out.resolve("config.json")), name)
      Map("dir" -> out.toString, "class" -> cls, "seed" -> 5).asJava
    }
    val f = Files.createTempFile(work, "cases", ".json")
    Files.writeString(f, json.writeValueAsString(cases.asJava))
    val lines = python(f.toString).linesIterator.toSeq
    lines.filter(_.startsWith("{\"model\"")).foreach(info(_))
    val n = json.readTree(lines.last)
    assert(n.get("models").asInt == families.size)
    // 12 checkpoints, 376 tensors: 220 drawn (KS against transformers' own draw, p >= 1e-6 each), 156 constants
    // equal, 5 padding rows zero where transformers zeroes them, every drawn tensor's std as transformers computes
    // it; the 2 T5 wo weights of the float16 config are loaded in float32 (_keep_in_fp32_modules), values equal
    assert(n.get("tensors").asInt == 376 && n.get("ks").asInt == 220 && n.get("exact").asInt == 156, n)
    assert(n.get("zero_rows").asInt == 5 && n.get("stds").asInt == 220 && n.get("upcast").asInt == 2, n)
  }

  test("the configs in jobs/ have exactly the names, shapes and dtypes transformers' models save") {
    val dirs = Files.list(Path.of("jobs")).iterator.asScala.filter(Files.isDirectory(_)).map(_.toString).toSeq.sorted
    val theirs = json.readTree(python("--meta" +: dirs: _*).linesIterator.toSeq.last)
    for (d <- dirs) {
      val ours = Models.spec(Path.of(d, "config.json"), 0).tensors.asScala
        .map(t => t.name -> (t.shape.toSeq, t.dtype.id)).toMap
      val want = theirs.get(d).properties().asScala.map(e => e.getKey ->
        (e.getValue.get(0).elements().asScala.map(_.asLong).toSeq, e.getValue.get(1).asText)).toMap
      assert(ours == want, d)
    }
  }

  test("x ** -0.5 correctly rounded for every x up to 100000 (T5's stds), where the platform's pow may not be") {
    val lines = python("--pow", "100000").linesIterator.map(_.split(" ")).toIndexedSeq
    val want = lines.map(_(0).toDouble)
    info(s"${lines.count(_(1) == "0")} of 100000 where this platform's x ** -0.5 is not the nearest float64")
    val m = Class.forName("dev.shardinit.model.Pow").getDeclaredMethod("minusHalf", classOf[Long])
    m.setAccessible(true)
    val wrong = (1 to 100000).filter(x => m.invoke(null, Long.box(x.toLong)).asInstanceOf[Double] != want(x - 1))
    assert(wrong.isEmpty, wrong.take(10))
  }

  test("generate on the printed spec writes the checkpoint generate on the config writes, byte for byte") {
    val a = dir("spec-direct")
    generate(config("qwen3"), "--out", a.toString, "--seed", "3", "--max-shard-size", "100kB")
    val r = cli("spec", config("qwen3"), "--seed", "3")
    assert(r.code == 0, r.err)
    val yaml = Files.writeString(work.resolve("qwen3.yaml"), r.out)
    val b = dir("spec-yaml")
    generate(yaml.toString, "--out", b.toString, "--max-shard-size", "100kB")
    assert(listFiles(a).size > 3 && listFiles(a).contains("model.safetensors.index.json"))
    assert(bytesOf(a) == bytesOf(b))
  }

  test("jobs/gpt2-small.yaml and jobs/tinyllama-1.1b.yaml are what shardinit spec prints for their configs") {
    for ((yaml, args) <- Seq(
      "jobs/gpt2-small.yaml" -> Seq("jobs/gpt2-small/config.json", "--seed", "42", "--format", "parquet"),
      "jobs/tinyllama-1.1b.yaml" -> Seq("jobs/tinyllama-1.1b/config.json", "--seed", "42", "--dtype", "bfloat16",
        "--format", "parquet"))) {
      val r = cli("spec" +: args: _*)
      assert(r.code == 0 && r.out == Files.readString(Path.of(yaml)), yaml)
    }
  }

  test("verify checks config.json against the manifest; --overwrite replaces a checkpoint that has one") {
    val out = dir("verify-config")
    generate(config("gpt2"), "--out", out.toString)
    assert(cli("verify", out.toString).code == 0)
    val c = out.resolve("config.json")
    Files.writeString(c, Files.readString(c).replace("\"n_layer\" : 3", "\"n_layer\" : 4"))
    val r = cli("verify", out.toString)
    assert(r.code == 1 && (r.out + r.err).contains("config.json: CRC-32C "), r.out + r.err)
    Files.delete(c)
    val m = cli("verify", out.toString)
    assert((m.out + m.err).contains("config.json: missing (the manifest lists it)"), m.out + m.err)
    generate(config("gpt2"), "--out", out.toString, "--overwrite")
    assert(cli("verify", out.toString).code == 0)
  }

  test("export from Parquet carries config.json: the checkpoint generating safetensors directly gives, byte for byte") {
    val pq = dir("export-src")
    generate(config("bert-mlm"), "--out", pq.toString, "--format", "parquet", "--seed", "11")
    assert(Files.exists(pq.resolve("config.json")))
    val st = dir("export-dst")
    val r = cli("export", pq.toString, "--to", "safetensors", "--out", st.toString)
    assert(r.code == 0, r.err)
    assert(Files.readString(st.resolve("config.json")) == Files.readString(pq.resolve("config.json")))
    assert(cli("verify", st.toString).code == 0)
    val direct = dir("export-direct")
    generate(config("bert-mlm"), "--out", direct.toString, "--seed", "11")
    assert(bytesOf(st) == bytesOf(direct))
  }

  test("a bad config is one line naming the field, exit 2, nothing written") {
    val f = Files.createTempFile(work, "bad", ".json")
    Files.writeString(f, "{\"model_type\": \"llama\", \"vocab_size\": 64, \"hidden_size\": 30, \"intermediate_size\": 8, "
      + "\"num_hidden_layers\": 1, \"num_attention_heads\": 4}")
    val out = dir("bad-config")
    val r = cli("generate", f.toString, "--out", out.toString)
    assert(r.code == 2 && !Files.exists(out))
    assert(r.err.linesIterator.filter(_.nonEmpty).toSeq == Seq(s"shardinit: error: $f: hidden_size: The hidden size " +
      "(30) is not a multiple of the number of attention heads (4)."), r.err)
    Files.writeString(f, "{\"model_type\": \"falcon\"}")
    val s = cli("spec", f.toString)
    assert(s.code == 2 && s.out.isEmpty && s.err.contains("model_type: 'falcon' is not supported; supported: llama"))
  }
}
