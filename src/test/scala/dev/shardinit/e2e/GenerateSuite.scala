package dev.shardinit.e2e

import com.fasterxml.jackson.databind.JsonNode
import com.fasterxml.jackson.databind.node.ObjectNode
import dev.shardinit.TestSupport
import dev.shardinit.format.{FileFormat, Manifest, ManifestReader, ShardFiles}
import dev.shardinit.testing.{FaultInjection, Faults}
import dev.shardinit.init.Dtype
import dev.shardinit.spec.JobSpec
import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileSystem, Path => HPath}

import java.io.ByteArrayOutputStream
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path, Paths}
import java.sql.DriverManager
import scala.jdk.CollectionConverters._

/**
 * The product end to end: the smoke job through the CLI on local Spark, read back three independent ways; layout
 * invariance; task failures (injected by a test file system) retried or failing the run. Each test makes the
 * outputs it reads (shared ones lazily), so each runs alone and in any order.
 */
class GenerateSuite extends FaultInjection {
  private val smoke = "jobs/smoke.yaml"
  private lazy val local: FileSystem = FileSystem.getLocal(new Configuration()).getRaw

  private def manifest(out: Path): JsonNode =
    ManifestReader.tree(new String(Files.readAllBytes(out.resolve("manifest.json")), StandardCharsets.UTF_8))

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

  /** The smoke job in a format, 16 KiB shards: made once, by the first test that reads it. */
  private lazy val smokeOut: Map[FileFormat, Path] = Array(FileFormat.PARQUET, FileFormat.ARROW).map { format =>
    val out = dir(s"smoke-${format.id}")
    generate(out, "--format", format.id, "--shard-size", "16KiB")
    format -> out
  }.toMap

  for (format <- Seq(FileFormat.PARQUET, FileFormat.ARROW)) {
    test(s"the smoke job end to end in ${format.id}: every tensor equals the core library's bytes") {
      val out = smokeOut(format)
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
    val out = smokeOut(FileFormat.PARQUET)
    val m = manifest(out)
    for (t <- m.path("tensors").elements().asScala; f <- t.path("files").elements().asScala) {
      val d = ShardFiles.read(local, new HPath(out.resolve(f.path("path").asText).toString), FileFormat.PARQUET)
      val tensor = ManifestReader.tree(d.metadata().get(Manifest.KEY_TENSOR))
      val file = ManifestReader.tree(d.metadata().get(Manifest.KEY_FILE))
      for (k <- Seq("name", "shape", "dtype", "init", "gain", "fan_in", "fan_out", "std", "bound", "numel"))
        assert(tensor.path(k) == t.path(k), s"$k of ${f.path("path").asText}")
      assert(tensor.path("seed") == m.path("seed"))
      assert(tensor.path("spec_version").asText == "1")
      for (k <- Seq("start", "end", "rows", "crc32c")) assert(file.path(k) == f.path(k))
    }
  }

  test("Spark reads the Parquet files with no shardinit code and gets the core library's values") {
    val out = smokeOut(FileFormat.PARQUET)
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
    val out = smokeOut(FileFormat.PARQUET)
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

  test("a task whose first attempt fails is retried and yields the identical checkpoint, no stray files") {
    val clean = dir("fault-clean")
    generate(clean, "--shard-size", "16KiB")
    Faults.pattern = "part-000000000000\\.parquet"
    Faults.renameFailures.set(1) // the first rename of a tensor's first file fails, once
    val faulty = dir("fault-retried")
    assert(cli("generate", smoke, "--out", "faulty://" + faulty, "--shard-size", "16KiB").code == 0)
    assert(Faults.renameFailures.get == 0)
    assert(listFiles(faulty) == listFiles(clean))
    for (f <- listFiles(clean))
      assert(java.util.Arrays.equals(Files.readAllBytes(clean.resolve(f)), Files.readAllBytes(faulty.resolve(f))), f)
  }

  test("a task that fails on every attempt fails the run, which leaves no manifest and no directory") {
    val out = dir("fault-fatal")
    Faults.pattern = "part-000000000000\\.parquet"
    Faults.renameFailures.set(Int.MaxValue)
    val r = cli("generate", smoke, "--out", "faulty://" + out, "--shard-size", "16KiB")
    assert(r.code == 1, r.err)
    assert(r.err.contains("injected rename failure"), r.err)
    assert(!Files.exists(out))
  }

  test("a run that fails while another task is still writing leaves nothing behind: no task runs after it") {
    // one task fails at its second 16 MiB shard; the other task has most of its 32 still to write then
    val out = dir("fault-sibling")
    Faults.pattern = "part-000004194304\\.parquet"
    Faults.renameFailures.set(Int.MaxValue)
    val r = cli("generate", "bench/jobs/normal-16k.yaml", "--out", "faulty://" + out, "--shard-size", "16MiB",
      "--partitions", "2")
    assert(r.code == 1, r.err)
    assert(r.err.contains("injected rename failure"), r.err)
    // the run returns only once no task of it runs, so nothing can recreate what its clean-up removed
    assert(spark.sparkContext.statusTracker.getExecutorInfos.map(_.numRunningTasks).sum == 0)
    assert(!Files.exists(out))
  }
}
