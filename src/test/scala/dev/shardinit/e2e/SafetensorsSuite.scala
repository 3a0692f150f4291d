package dev.shardinit.e2e

import com.fasterxml.jackson.databind.ObjectMapper
import dev.shardinit.TestSupport
import dev.shardinit.spark.SparkSuiteBase
import dev.shardinit.spec.JobSpec

import java.io.File
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path, Paths}
import scala.jdk.CollectionConverters._

/**
 * safetensors output end to end, read by the real readers (src/test/python/check_safetensors.py: the safetensors
 * crate's parser, its numpy API, its PyTorch API) and compared bit for bit with the core library; the files'
 * bytes do not depend on the shard size or the partitions, only on the job and --max-shard-size.
 */
class SafetensorsSuite extends SparkSuiteBase {
  private val python = new File(".venv/bin/python")
  private val checker = "src/test/python/check_safetensors.py"
  private val json = new ObjectMapper()

  private def generate(job: String, out: Path, extra: String*): Unit = {
    val r = cli(Seq("generate", job, "--out", out.toString, "--format", "safetensors") ++ extra: _*)
    assert(r.code == 0, r.err)
  }

  /** The core library's bytes of every tensor of a job, with their names, dtypes and shapes, for the checker. */
  private def expected(job: String, dtype: Option[String] = None): Path = {
    val d = Files.createTempDirectory(work, "expected")
    var spec = JobSpec.load(Paths.get(job))
    dtype.foreach(x => spec = spec.withDtype(dev.shardinit.init.Dtype.parse(x)))
    val tensors = spec.tensors().asScala.zipWithIndex.map { case (t, i) =>
      val init = t.resolve(spec.seed())
      Files.write(d.resolve(s"$i.bin"), TestSupport.bytes(init.fillAll()))
      Map("name" -> init.target().name(), "dtype" -> init.target().dtype().id(),
        "shape" -> init.target().shape().toSeq.asJava, "file" -> s"$i.bin").asJava
    }
    Files.writeString(d.resolve("expected.json"), json.writeValueAsString(Map("tensors" -> tensors.asJava).asJava))
    d
  }

  /** Runs the checker; its one line of counts. */
  private def check(out: Path, expectedDir: Path): Map[String, Any] = {
    assert(python.canExecute, s"$python is missing: .ci/python-env makes it (Maven runs it before the tests)")
    val p = new ProcessBuilder(python.getPath, checker, out.toString, expectedDir.toString).redirectErrorStream(true)
      .start()
    val text = new String(p.getInputStream.readAllBytes(), StandardCharsets.UTF_8)
    assert(p.waitFor() == 0, text)
    val n = json.readTree(text.linesIterator.toSeq.last)
    n.fieldNames().asScala.map(k => k -> (if (n.get(k).isArray) n.get(k).elements().asScala.map(_.asText).toSeq
      else n.get(k).asLong)).toMap
  }

  test("the smoke job (float64, float32, bfloat16, float16) in one model.safetensors: safetensors' parser, numpy "
    + "and torch read every tensor bit for bit") {
    val out = dir("st-smoke")
    generate("jobs/smoke.yaml", out, "--shard-size", "1KiB")
    assert(listFiles(out) == Seq("manifest.json", "model.safetensors"))
    val c = check(out, expected("jobs/smoke.yaml"))
    assert(c("files") == 1L && c("tensors") == 23L && c("numpy") == 23L && c("torch") == 23L)
    assert(c("dtypes") == Seq("BF16", "F16", "F32", "F64"))
  }

  test("the smoke job in 4 kB files with 1 KiB shards: the index names every tensor's file, each read back exactly") {
    val out = dir("st-smoke-files")
    generate("jobs/smoke.yaml", out, "--max-shard-size", "4kB", "--shard-size", "1KiB")
    val c = check(out, expected("jobs/smoke.yaml"))
    assert(c("files").asInstanceOf[Long] > 3L && c("tensors") == 23L && c("numpy") == 23L && c("torch") == 23L)
  }

  test("GPT-2 small in bfloat16, 100 MB files of 8 MiB regions (many tasks fill a file): read back exactly") {
    val job = "jobs/gpt2-small.yaml"
    val out = dir("st-gpt2")
    generate(job, out, "--dtype", "bfloat16", "--max-shard-size", "100MB", "--shard-size", "8MiB")
    val c = check(out, expected(job, Some("bfloat16")))
    assert(c("files") == 3L && c("tensors") == 148L && c("numpy") == 148L && c("torch") == 148L)
  }

  test("a file's bytes depend on the job and --max-shard-size only: not on the shard size or the partitions") {
    val a = dir("st-inv-a")
    val b = dir("st-inv-b")
    generate("jobs/smoke.yaml", a, "--max-shard-size", "4KB", "--shard-size", "128MiB", "--partitions", "1")
    generate("jobs/smoke.yaml", b, "--max-shard-size", "4KB", "--shard-size", "256B", "--partitions", "7")
    val fa = listFiles(a).filter(_.endsWith(".safetensors")) :+ "model.safetensors.index.json"
    assert(fa.size > 3)
    assert(listFiles(b).filter(_ != "manifest.json") == fa.sorted)
    for (f <- fa) assert(java.util.Arrays.equals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f))), f)
  }

  for (from <- Seq("parquet", "arrow")) {
    test(s"export of a $from checkpoint: byte for byte what generate writes as safetensors, verified, read by torch") {
      val src = dir(s"st-export-src-$from")
      val r0 = cli("generate", "jobs/smoke.yaml", "--out", src.toString, "--format", from, "--shard-size", "256")
      assert(r0.code == 0, r0.err)
      val out = dir(s"st-export-$from")
      val r = cli("export", src.toString, "--to", "safetensors", "--out", out.toString, "--max-shard-size", "4kB")
      assert(r.code == 0, r.err)
      assert(r.out.startsWith("exported 23 tensors into 7 safetensors files, 17.7 KiB, to "), r.out)
      val direct = dir(s"st-export-direct-$from")
      generate("jobs/smoke.yaml", direct, "--max-shard-size", "4kB")
      val files = listFiles(out).filter(_ != "manifest.json")
      assert(files == listFiles(direct).filter(_ != "manifest.json") && files.size == 8)
      for (f <- files) {
        assert(java.util.Arrays.equals(Files.readAllBytes(out.resolve(f)), Files.readAllBytes(direct.resolve(f))), f)
      }
      val v = cli("verify", out.toString)
      assert(v.code == 0, v.err)
      assert(check(out, expected("jobs/smoke.yaml"))("torch") == 23L)
    }
  }

  test("export refuses a file whose values are not the manifest's, leaving nothing; and bad options, exit 2") {
    val src = dir("st-export-bad-src")
    assert(cli("generate", "jobs/smoke.yaml", "--out", src.toString, "--shard-size", "256").code == 0)
    val victim = src.resolve("smoke.xavier_uniform/part-000000000064.parquet")
    val b = Files.readAllBytes(victim)
    val spec = JobSpec.load(Paths.get("jobs/smoke.yaml"))
    val init = spec.tensors().asScala.find(_.name() == "smoke.xavier_uniform").get.resolve(spec.seed())
    val values = TestSupport.bytes(init.fillAll()).slice(64 * 4, 128 * 4)
    val at = b.indexOfSlice(values.toSeq)
    assert(at > 0)
    b(at + 5) = (b(at + 5) ^ 0x01).toByte // one value's bits, in the values column
    Files.write(victim, b)
    val out = dir("st-export-bad")
    val r = cli("export", src.toString, "--to", "safetensors", "--out", out.toString)
    assert(r.code == 1, r.err)
    val line = r.err.linesIterator.filter(_.startsWith("shardinit: failed:")).toSeq
    assert(line.size == 1 && line.head.contains("part-000000000064.parquet") && line.head.endsWith(s"($out removed)"),
      r.err)
    assert(!Files.exists(out))
    val to = cli("export", src.toString, "--to", "arrow", "--out", out.toString)
    assert(to.code == 2 && to.err.trim == "shardinit: error: --to: export writes safetensors; arrow checkpoints are "
      + "made by generate", to.err)
    val already = dir("st-export-already")
    generate("jobs/smoke.yaml", already)
    val twice = cli("export", already.toString, "--to", "safetensors", "--out", out.toString)
    assert(twice.code == 2 && twice.err.trim == s"shardinit: error: $already: is already a "
      + "safetensors checkpoint", twice.err)
    assert(!Files.exists(out))
  }

  test("--overwrite replaces a safetensors checkpoint (its files and index too), never a foreign model directory") {
    val out = dir("st-over")
    generate("jobs/smoke.yaml", out, "--max-shard-size", "4kB")
    assert(listFiles(out).count(_.endsWith(".safetensors")) == 7)
    generate("jobs/smoke.yaml", out, "--overwrite")
    assert(listFiles(out) == Seq("manifest.json", "model.safetensors"))
    assert(cli("verify", out.toString).code == 0)
    val hf = dir("st-foreign")
    Files.createDirectories(hf)
    Files.copy(out.resolve("model.safetensors"), hf.resolve("model.safetensors"))
    Files.writeString(hf.resolve("config.json"), "{}")
    val r = cli("generate", "jobs/smoke.yaml", "--out", hf.toString, "--format", "safetensors", "--overwrite")
    assert(r.code == 2, r.err)
    assert(r.err.contains("config.json") && r.err.contains("model.safetensors"), r.err)
    assert(listFiles(hf) == Seq("config.json", "model.safetensors"))
  }
}
