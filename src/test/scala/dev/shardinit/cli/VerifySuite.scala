package dev.shardinit.cli

import com.fasterxml.jackson.databind.node.{ArrayNode, ObjectNode}
import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import dev.shardinit.format.{FileFormat, ShardFiles}
import dev.shardinit.spark.SparkSuiteBase
import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileSystem, Path => HPath}

import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path}
import scala.jdk.CollectionConverters._

/**
 * verify and inspect against a corpus of tampered checkpoints (src/test/resources/tamper/cases.json): each case
 * edits a copy of a good checkpoint (its manifest, its files) and names the lines verify, and inspect, must
 * print. A case without an "inspect" list is not about inspect; an empty one means inspect finds nothing.
 */
class VerifySuite extends SparkSuiteBase {
  private val json = new ObjectMapper()
  private lazy val local: FileSystem = FileSystem.getLocal(new Configuration()).getRaw

  /** The smoke job with 256-byte shards: several files for most tensors. */
  private lazy val good: Path = {
    val out = dir("good")
    val r = cli("generate", "jobs/smoke.yaml", "--out", out.toString, "--shard-size", "256")
    assert(r.code == 0, r.err)
    out
  }

  private def copy(from: Path, to: Path): Path = {
    val s = Files.walk(from)
    try s.iterator().asScala.foreach { p =>
      val t = to.resolve(from.relativize(p).toString)
      if (Files.isDirectory(p)) Files.createDirectories(t) else Files.copy(p, t)
    } finally s.close()
    to
  }

  // ---- addressing fields of the manifest: tensors[name=smoke.uniform].files[1].end

  private case class Step(key: String, index: Option[String])

  private def steps(at: String): Seq[Step] = {
    val out = Seq.newBuilder[Step]
    var i = 0
    while (i < at.length) {
      val k = at.indexWhere(c => c == '[' || c == '.', i) match { case -1 => at.length; case j => j }
      val key = at.substring(i, k)
      i = k
      var index: Option[String] = None
      if (i < at.length && at.charAt(i) == '[') {
        val e = at.indexOf(']', i)
        index = Some(at.substring(i + 1, e))
        i = e + 1
      }
      out += Step(key, index)
      if (i < at.length && at.charAt(i) == '.') i += 1
    }
    out.result()
  }

  private def child(node: JsonNode, s: Step): JsonNode = {
    val n = node.get(s.key)
    s.index match {
      case None => n
      case Some(ix) if ix.startsWith("name=") =>
        n.elements().asScala.find(_.path("name").asText == ix.stripPrefix("name=")).getOrElse(
          throw new IllegalArgumentException(s"no $ix"))
      case Some(ix) => n.get(ix.toInt)
    }
  }

  /** The parent of the addressed node, and how to set or remove it there. */
  private def locate(root: JsonNode, at: String): (JsonNode, Step) = {
    val ss = steps(at)
    (ss.init.foldLeft(root)(child), ss.last)
  }

  private def set(root: JsonNode, at: String, v: JsonNode): Unit = {
    val (parent, last) = locate(root, at)
    last.index match {
      case None => parent.asInstanceOf[ObjectNode].set[JsonNode](last.key, v)
      case Some(ix) =>
        val arr = parent.get(last.key).asInstanceOf[ArrayNode]
        val i = if (ix.startsWith("name=")) arr.elements().asScala.indexWhere(_.path("name").asText == ix.stripPrefix("name=")) else ix.toInt
        arr.set(i, v)
    }
  }

  private def remove(root: JsonNode, at: String): Unit = {
    val (parent, last) = locate(root, at)
    last.index match {
      case None => parent.asInstanceOf[ObjectNode].remove(last.key)
      case Some(ix) => parent.get(last.key).asInstanceOf[ArrayNode].remove(ix.toInt)
    }
  }

  private def node(root: JsonNode, at: String): JsonNode = steps(at).foldLeft(root)(child)

  /** Applies a case's operations to the checkpoint in `out`. */
  private def tamper(out: Path, ops: Seq[JsonNode]): Unit = {
    val mf = out.resolve("manifest.json")
    var m: JsonNode = json.readTree(Files.readString(mf))
    var rawManifest: Option[String] = None
    var deleteManifest = false
    for (op <- ops) {
      def file(): Path = out.resolve(node(m, op.get("of").asText).get("path").asText)
      op.get("op").asText match {
        case "set" => if (op.get("at").asText.contains('.') || op.get("at").asText.contains('[')) set(m, op.get("at").asText, op.get("value"))
                      else m.asInstanceOf[ObjectNode].set[JsonNode](op.get("at").asText, op.get("value"))
        case "remove" => remove(m, op.get("at").asText)
        case "append-copy" => m.get("tensors").asInstanceOf[ArrayNode].add(node(m, op.get("of").asText).deepCopy[JsonNode]())
        case "delete-file" => Files.delete(file())
        case "add-file" => Files.write(out.resolve(op.get("path").asText), Array[Byte](1, 2, 3))
        case "truncate-file" =>
          val b = Files.readAllBytes(file())
          Files.write(file(), java.util.Arrays.copyOf(b, op.get("bytes").asInt))
        case "flip-value" =>
          val f = file()
          val first = new Array[Byte](8)
          ShardFiles.read(local, new HPath(f.toString), FileFormat.PARQUET).values().get(first)
          val b = Files.readAllBytes(f)
          val at = (0 to b.length - 8).find(i => java.util.Arrays.equals(b, i, i + 8, first, 0, 8)).get
          b(at + 2) = (b(at + 2) ^ 0x10).toByte
          Files.write(f, b)
        case "rewrite-metadata" =>
          val f = file()
          val d = ShardFiles.read(local, new HPath(f.toString), FileFormat.PARQUET)
          val meta = new java.util.LinkedHashMap[String, String](d.metadata())
          val entry = json.readTree(meta.get(op.get("key").asText)).asInstanceOf[ObjectNode]
          entry.set[JsonNode](op.get("field").asText, op.get("value"))
          meta.put(op.get("key").asText, json.writeValueAsString(entry))
          Files.delete(f)
          val dt = d.dtype()
          ShardFiles.write(local, new HPath(f.toString), FileFormat.PARQUET, dt, d.offsets()(0), d.lengths(), d.values(), meta)
        case "write-manifest" => rawManifest = Some(op.get("text").asText)
        case "delete-manifest" => deleteManifest = true
      }
    }
    if (deleteManifest) Files.delete(mf)
    else Files.writeString(mf, rawManifest.getOrElse(json.writerWithDefaultPrettyPrinter().writeValueAsString(m)))
  }

  private val cases = json.readTree(getClass.getResourceAsStream("/tamper/cases.json")).elements().asScala.toSeq

  for (c <- cases) test(s"tampered: ${c.get("name").asText}") {
    val out = copy(good, dir("case-" + c.get("name").asText.replaceAll("[^a-z0-9]+", "-")))
    tamper(out, c.get("ops").elements().asScala.toSeq)
    val v = cli("verify", out.toString)
    val exit = if (c.has("exit")) c.get("exit").asInt else 1
    assert(v.code == exit, s"exit ${v.code}: ${v.err}")
    if (exit == 2) {
      val lines = v.err.linesIterator.toSeq
      assert(lines.size == 1 && lines.head.startsWith(s"shardinit: error: $out: ${c.get("error").asText}"), v.err)
      assert(v.out.isEmpty)
      val i = cli("inspect", out.toString)
      assert(i.code == 2 && i.err == v.err, i.err)
    } else {
      val lines = v.err.linesIterator.filter(_.startsWith("shardinit: verify: ")).map(_.stripPrefix("shardinit: verify: ")).toSeq
      for (e <- c.get("verify").elements().asScala.map(_.asText))
        assert(lines.exists(_.startsWith(e)), s"'$e' not among:\n${lines.mkString("\n")}")
      assert(v.out.startsWith(s"verify found ${lines.size} problem(s); regenerated "), v.out)
      if (c.has("inspect")) {
        val i = cli("inspect", out.toString)
        val expected = c.get("inspect").elements().asScala.map(_.asText).toSeq
        val found = i.err.linesIterator.filter(_.startsWith("shardinit: inspect: ")).map(_.stripPrefix("shardinit: inspect: ")).toSeq
        if (expected.isEmpty) assert(i.code == 0 && i.err.isEmpty, i.err)
        else {
          assert(i.code == 1, i.err)
          for (e <- expected) assert(found.exists(_.startsWith(e)), s"'$e' not among:\n${found.mkString("\n")}")
          assert(found.last.startsWith(s"the manifest of $out is inconsistent ("))
        }
      }
    }
  }

  test("a good checkpoint passes verify and inspect, in both formats, and says what it checked") {
    for (format <- Seq("parquet", "arrow")) {
      val out = dir(s"clean-$format")
      assert(cli("generate", "jobs/smoke.yaml", "--out", out.toString, "--shard-size", "256", "--format", format).code == 0)
      val files = listFiles(out).count(_ != "manifest.json")
      val v = cli("verify", out.toString)
      assert(v.code == 0, v.err)
      assert(v.out == s"verified $files of $files files (4,481 of 4,481 elements): manifest, values, layout, metadata " +
        "and checksums match\n", v.out)
      val i = cli("inspect", out.toString)
      assert(i.code == 0 && i.err.isEmpty, i.err)
    }
  }

  test("--sample checks at least one file of every tensor and says exactly how many files and elements") {
    val v = cli("verify", good.toString, "--sample", "0.0001")
    assert(v.code == 0, v.err)
    val m = json.readTree(Files.readString(good.resolve("manifest.json")))
    val tensors = m.get("tensors").size
    val files = m.get("tensors").elements().asScala.map(_.get("files").size).sum
    val pattern = s"verified $tensors of $files files \\(([0-9,]+) of 4,481 elements\\): .*".r
    v.out.trim match {
      case pattern(n) => assert(n.replace(",", "").toLong > 0 && n.replace(",", "").toLong < 4481)
      case other => fail(other)
    }
    assert(cli("verify", good.toString, "--sample", "0").err.trim == "shardinit: error: --sample: must be in (0, 1], got 0.0")
  }

  test("verify runs its work on the cluster and reports every file's problems, not the first one's only") {
    val out = copy(good, dir("many"))
    val m = json.readTree(Files.readString(out.resolve("manifest.json")))
    val paths = m.get("tensors").elements().asScala.flatMap(_.get("files").elements().asScala.map(_.get("path").asText)).toSeq
    for (p <- paths.take(5)) Files.delete(out.resolve(p))
    val v = cli("verify", out.toString)
    assert(v.code == 1)
    for (p <- paths.take(5)) assert(v.err.contains(s"file $p: missing"), v.err)
  }

  test("a checkpoint of format version 2 (fixtures: written before version 3) passes verify; a changed value in it is found") {
    for (format <- Seq("parquet", "arrow")) {
      val out = copy(java.nio.file.Paths.get(s"src/test/resources/fixtures/v2-smoke-$format"), dir(s"v2-$format"))
      assert(new ObjectMapper().readTree(Files.readString(out.resolve("manifest.json"))).get("format_version").asInt == 2)
      val v = cli("verify", out.toString)
      assert(v.code == 0, v.err)
      assert(v.out.startsWith("verified 23 of 23 files (4,481 of 4,481 elements)"), v.out)
      assert(cli("inspect", out.toString).code == 0)
      val f = out.resolve(s"smoke.uniform/part-000000000000.$format")
      val d = ShardFiles.read(local, new HPath(f.toString), FileFormat.parse(format))
      val first = new Array[Byte](8)
      d.values().get(first)
      val b = Files.readAllBytes(f)
      val at = (0 to b.length - 8).find(i => java.util.Arrays.equals(b, i, i + 8, first, 0, 8)).get
      b(at + 1) = (b(at + 1) ^ 0x01).toByte
      Files.write(f, b)
      val bad = cli("verify", out.toString)
      assert(bad.code == 1)
      assert(bad.err.contains(s"tensor 'smoke.uniform' file smoke.uniform/part-000000000000.$format: element 0 " +
        "differs from its regeneration"), bad.err)
    }
  }
}
