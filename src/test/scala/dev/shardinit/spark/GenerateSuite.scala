package dev.shardinit.spark

import com.fasterxml.jackson.databind.JsonNode
import com.fasterxml.jackson.databind.node.ObjectNode
import dev.shardinit.TestSupport
import dev.shardinit.format.{FileFormat, Manifest, ManifestJson, ShardFiles}
import dev.shardinit.init.Dtype
import dev.shardinit.spec.JobSpec
import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileSystem, Path => HPath}

import java.io.ByteArrayOutputStream
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path, Paths}
import java.sql.DriverManager
import scala.jdk.CollectionConverters._

/** The product end to end: the smoke job through the CLI on local Spark, read back three independent ways. */
class GenerateSuite extends SparkSuiteBase {
  private val smoke = "jobs/smoke.yaml"
  private lazy val local: FileSystem = FileSystem.getLocal(new Configuration()).getRaw

  private def manifest(out: Path): JsonNode =
    ManifestJson.tree(new String(Files.readAllBytes(out.resolve("manifest.json")), StandardCharsets.UTF_8))

  /** A tensor's values, concatenated from its files in manifest order, read with shardinit's reader. */
  private def tensorBytes(out: Path, t: JsonNode, format: FileFormat): Array[Byte] = {
    val b = new ByteArrayOutputStream()
    for (f <- t.path("files").elements().asScala) {
      val d = ShardFiles.read(local, new HPath(out.resolve(f.path("path").asText()).toString), format)
      b.write(TestSupport.bytes(d.values()))
    }
    b.toByteArray
  }

  /** What the core library produces for every tensor of the smoke job. */
  private lazy val expected: Map[String, Array[Byte]] = {
    val spec = JobSpec.load(Paths.get(smoke))
    spec.tensors().asScala.map(t => t.name() -> TestSupport.bytes(t.resolve(spec.seed()).fillAll())).toMap
  }

  private def generate(out: Path, extra: String*): Run = {
    val r = cli(Seq("generate", smoke, "--out", out.toString) ++ extra: _*)
    assert(r.code == 0, r.err)
    r
  }

  for (format <- Seq(FileFormat.PARQUET, FileFormat.ARROW)) {
    test(s"the smoke job end to end in ${format.id}: every tensor equals the core library's bytes") {
      val out = dir(s"smoke-${format.id}")
      generate(out, "--format", format.id, "--shard-size", "16KiB")
      val m = manifest(out)
      assert(m.path("format").asText == "shardinit-checkpoint")
      assert(m.path("file_format").asText == format.id)
      val tensors = m.path("tensors").elements().asScala.toSeq
      assert(tensors.map(_.path("name").asText).toSet == expected.keySet)
      for (t <- tensors) {
        val name = t.path("name").asText
        assert(java.util.Arrays.equals(tensorBytes(out, t, format), expected(name)), name)
      }
      // nothing but the manifest and the files it names
      val named = tensors.flatMap(_.path("files").elements().asScala.map(_.path("path").asText)) :+ "manifest.json"
      assert(listFiles(out) == named.sorted)
    }
  }

  test("every file explains itself: footer metadata repeats the tensor entry and the file's range and checksum") {
    val out = dir("smoke-parquet")
    val m = manifest(out)
    for (t <- m.path("tensors").elements().asScala; f <- t.path("files").elements().asScala) {
      val d = ShardFiles.read(local, new HPath(out.resolve(f.path("path").asText).toString), FileFormat.PARQUET)
      val tensor = ManifestJson.tree(d.metadata().get(Manifest.KEY_TENSOR))
      val file = ManifestJson.tree(d.metadata().get(Manifest.KEY_FILE))
      for (k <- Seq("name", "shape", "dtype", "init", "gain", "fan_in", "fan_out", "std", "bound", "numel"))
        assert(tensor.path(k) == t.path(k), s"$k of ${f.path("path").asText}")
      assert(tensor.path("seed") == m.path("seed"))
      assert(tensor.path("spec_version").asText == "1")
      for (k <- Seq("start", "end", "rows", "crc32c")) assert(file.path(k) == f.path(k))
    }
  }

  test("Spark reads the Parquet files with no shardinit code and gets the core library's values") {
    val out = dir("smoke-parquet")
    val m = manifest(out)
    for (t <- m.path("tensors").elements().asScala if t.path("dtype").asText != "float16") {
      val dt = Dtype.parse(t.path("dtype").asText)
      val rows = spark.read.parquet(out.resolve(t.path("dir").asText).toString).collect()
        .map(r => (r.getLong(0), r.getList[Any](1).asScala.toSeq)).sortBy(_._1)
      val values = rows.flatMap(_._2).map {
        case f: java.lang.Float => f.toDouble
        case d: java.lang.Double => d.doubleValue
        case b: Array[Byte] => dt.decode16(b(0) & 0xFF | (b(1) & 0xFF) << 8) // bfloat16: 2 bytes, little-endian
      }
      val want = TestSupport.decode(java.nio.ByteBuffer.wrap(expected(t.path("name").asText)), dt)
      assert(values.toSeq == want.toSeq, t.path("name").asText)
      assert(rows.head._1 == 0L)
    }
  }

  test("DuckDB reads the Parquet files, float16 included, and gets the core library's values") {
    val out = dir("smoke-parquet")
    val m = manifest(out)
    Class.forName("org.duckdb.DuckDBDriver")
    val conn = DriverManager.getConnection("jdbc:duckdb:")
    try {
      for (t <- m.path("tensors").elements().asScala) {
        val dt = Dtype.parse(t.path("dtype").asText)
        val glob = out.resolve(t.path("dir").asText).toString + "/*.parquet"
        val rs = conn.createStatement().executeQuery(
          s"SELECT v FROM (SELECT \"offset\" AS o, unnest(\"values\") AS v, generate_subscripts(\"values\", 1) AS i " +
            s"FROM read_parquet('$glob')) ORDER BY o, i")
        // bfloat16 is a BLOB of its two pattern bytes, little-endian; the rest are numbers
        val got = Iterator.continually(rs).takeWhile(_.next()).map { r =>
          if (dt == Dtype.BFLOAT16) { val b = r.getBytes(1); dt.decode16(b(0) & 0xFF | (b(1) & 0xFF) << 8) }
          else r.getDouble(1)
        }.toSeq
        val want = TestSupport.decode(java.nio.ByteBuffer.wrap(expected(t.path("name").asText)), dt).toSeq
        assert(got == want, t.path("name").asText)
      }
    } finally conn.close()
  }

  test("layout invariance: three shard sizes and partition counts give identical tensors and manifests") {
    val runs = Seq(("8", "1"), ("200", "3"), ("128MiB", "7")).map { case (size, parts) =>
      val out = dir(s"layout-$size")
      generate(out, "--shard-size", size, "--partitions", parts)
      out
    }
    val manifests = runs.map(manifest)
    // the file lists differ with the shard boundaries; everything else, including each tensor's CRC-32C of
    // all its values, must be identical
    def withoutFiles(m: JsonNode): JsonNode = {
      val c = m.deepCopy[ObjectNode]()
      c.path("tensors").elements().asScala.foreach(_.asInstanceOf[ObjectNode].remove("files"))
      c
    }
    assert(manifests.map(withoutFiles).distinct.size == 1)
    assert(manifests.map(_.path("tensors").elements().asScala.map(_.path("files").size).sum).distinct.size == 3)
    for (t <- manifests.head.path("tensors").elements().asScala) {
      val name = t.path("name").asText
      val bytes = runs.zip(manifests).map { case (out, m) =>
        tensorBytes(out, m.path("tensors").elements().asScala.find(_.path("name").asText == name).get, FileFormat.PARQUET)
      }
      assert(bytes.forall(b => java.util.Arrays.equals(b, bytes.head)), name)
    }
    // identical shard layouts give byte-identical files
    val again = dir("layout-8-again")
    generate(again, "--shard-size", "8", "--partitions", "5")
    for (f <- listFiles(runs.head))
      assert(java.util.Arrays.equals(Files.readAllBytes(runs.head.resolve(f)), Files.readAllBytes(again.resolve(f))), f)
  }

  test("a task that fails on its first attempt is retried and yields the identical checkpoint, no stray files") {
    val clean = dir("fault-clean")
    generate(clean, "--shard-size", "16KiB")
    val faulty = dir("fault-retried")
    spark.sparkContext.setLocalProperty(Generator.FAULT_HOOK, "true")
    try generate(faulty, "--shard-size", "16KiB")
    finally spark.sparkContext.setLocalProperty(Generator.FAULT_HOOK, null)
    assert(listFiles(faulty) == listFiles(clean))
    for (f <- listFiles(clean))
      assert(java.util.Arrays.equals(Files.readAllBytes(clean.resolve(f)), Files.readAllBytes(faulty.resolve(f))), f)
  }

  test("a run that fails leaves no manifest and no directory; --overwrite then starts clean") {
    val out = dir("fault-fatal")
    spark.sparkContext.setLocalProperty(Generator.FAULT_HOOK, "always")
    val r = try cli("generate", smoke, "--out", out.toString, "--shard-size", "16KiB")
    finally spark.sparkContext.setLocalProperty(Generator.FAULT_HOOK, null)
    assert(r.code == 1, r.err)
    assert(r.err.contains("injected failure"), r.err)
    assert(!Files.exists(out))
    generate(out, "--shard-size", "16KiB")
    assert(Files.exists(out.resolve("manifest.json")))
    val again = cli("generate", smoke, "--out", out.toString)
    assert(again.code == 2)
    assert(again.err.trim == s"shardinit: error: --out: output directory $out exists (pass --overwrite to replace it)")
    generate(out, "--overwrite", "--format", "arrow")
    assert(manifest(out).path("file_format").asText == "arrow")
  }

  test("a job of fewer tasks than cores lends its task the idle core: values equal the core library's") {
    val job = dir("lend").resolve("job.yaml")
    Files.createDirectories(job.getParent)
    Files.writeString(job, """seed: 7
      |tensors:
      |  - {name: a, shape: [600, 1000], init: normal_, args: {std: 0.02}}
      |  - {name: b, shape: [512, 512], dtype: bfloat16, init: trunc_normal_}
      |""".stripMargin)
    val out = dir("lend").resolve("out")
    val lentBefore = FillHelpers.shared(spark.sparkContext.defaultParallelism).lent()
    val r = cli("generate", job.toString, "--out", out.toString, "--partitions", "1")
    assert(r.code == 0, r.err)
    // one task, two cores: each tensor is one shard in one chunk of two slices or more, so each chunk is split
    assert(FillHelpers.shared(spark.sparkContext.defaultParallelism).lent() - lentBefore == 2)
    val spec = JobSpec.load(job)
    for (t <- manifest(out).path("tensors").elements().asScala) {
      val name = t.path("name").asText
      val want = TestSupport.bytes(spec.tensors().asScala.find(_.name() == name).get.resolve(spec.seed()).fillAll())
      assert(java.util.Arrays.equals(tensorBytes(out, t, FileFormat.PARQUET), want), name)
    }
  }

  test("a run that fails while another task is still writing leaves nothing behind, not even later") {
    // task 0 fails at its second 16 MiB shard; the other task has most of its 32 still to write then
    val out = dir("fault-sibling")
    spark.sparkContext.setLocalProperty(Generator.FAULT_HOOK, "always")
    val r = try cli("generate", "bench/jobs/normal-16k.yaml", "--out", out.toString, "--shard-size", "16MiB",
      "--partitions", "2")
    finally spark.sparkContext.setLocalProperty(Generator.FAULT_HOOK, null)
    assert(r.code == 1, r.err)
    assert(r.err.contains("injected failure"), r.err)
    assert(!Files.exists(out))
    Thread.sleep(1500) // a sibling task still running would have recreated its directory and files by now
    assert(!Files.exists(out))
  }

  test("verify passes on a good checkpoint and names the tensor and file of a flipped byte, a deleted and an extra file") {
    val out = dir("verify")
    generate(out, "--shard-size", "256")
    val ok = cli("verify", out.toString)
    assert(ok.code == 0, ok.err)
    assert(ok.out.startsWith("verified "), ok.out)
    val m = manifest(out)
    val t = m.path("tensors").elements().asScala.find(_.path("files").size >= 2).get
    val name = t.path("name").asText
    val f0 = t.path("files").get(0).path("path").asText
    val f1 = t.path("files").get(1).path("path").asText
    // flip one byte in the middle of the first file's values: the Parquet data pages are uncompressed
    val p0 = out.resolve(f0)
    val bytes = Files.readAllBytes(p0)
    val at = bytes.length / 2
    bytes(at) = (bytes(at) ^ 0x01).toByte
    Files.write(p0, bytes)
    Files.delete(out.resolve(f1))
    Files.write(out.resolve(t.path("dir").asText).resolve("stray.bin"), Array[Byte](1, 2, 3))
    val bad = cli("verify", out.toString)
    assert(bad.code == 1)
    assert(bad.err.contains(s"tensor '$name' file $f0"), bad.err)
    assert(bad.err.contains(s"tensor '$name' file $f1: missing"), bad.err)
    assert(bad.err.contains(s"extra file ${t.path("dir").asText}/stray.bin"), bad.err)
  }

  test("inspect prints the table of tensors, plan prints the shards, gain prints calculate_gain") {
    val out = dir("smoke-parquet")
    val i = cli("inspect", out.toString)
    assert(i.code == 0, i.err)
    val lines = i.out.linesIterator.toSeq
    assert(lines.head.split("\\s+").toSeq == Seq("tensor", "shape", "dtype", "init", "gain", "fan_in", "fan_out", "std/bound", "size", "files"))
    assert(lines.size == expected.size + 3)
    val p = cli("plan", smoke, "--shard-size", "16KiB")
    assert(p.code == 0, p.err)
    assert(p.out.linesIterator.exists(_.matches(s"${expected.size} tensors, \\d+ files, \\d+ tasks, .*")), p.out)
    assert(!Files.exists(dir("never")))
    assert(cli("gain", "leaky_relu", "0.2").out.trim == "1.3867504905630728")
    assert(cli("gain", "tanh").out.trim == (5.0 / 3).toString)
    val g = cli("gain", "leaky_relu", "True")
    assert(g.code == 2 && g.err.trim == "shardinit: error: negative_slope True not a valid number")
  }
}
