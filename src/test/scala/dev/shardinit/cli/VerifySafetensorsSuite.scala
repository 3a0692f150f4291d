package dev.shardinit.cli

import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.databind.node.{ArrayNode, ObjectNode}
import dev.shardinit.spark.SparkSuiteBase

import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path}
import java.nio.{ByteBuffer, ByteOrder}
import scala.jdk.CollectionConverters._

/**
 * verify and inspect on safetensors checkpoints: each test tampers with a copy of a good one (a flipped byte, a
 * truncated file, an edited header, a missing file, the index, the manifest) and names the exact lines verify
 * prints; the good one verifies.
 */
class VerifySafetensorsSuite extends SparkSuiteBase {
  private val json = new ObjectMapper()

  /** The smoke job in 4 kB files of 1 KiB regions: 7 files and an index. */
  private lazy val good: Path = {
    val out = dir("st-good")
    val r = cli("generate", "jobs/smoke.yaml", "--out", out.toString, "--format", "safetensors", "--max-shard-size",
      "4kB", "--shard-size", "1KiB")
    assert(r.code == 0, r.err)
    out
  }

  private def copy(name: String): Path = {
    val to = dir(name)
    Files.createDirectories(to)
    for (p <- Files.list(good).iterator().asScala) Files.copy(p, to.resolve(p.getFileName.toString))
    to
  }

  private def f(n: Int): String = f"model-0000$n-of-00007.safetensors"

  /** The header length of a file and its JSON. */
  private def header(p: Path): (Int, ObjectNode) = {
    val b = Files.readAllBytes(p)
    val n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong.toInt
    (n, json.readTree(new String(b, 8, n, StandardCharsets.UTF_8)).asInstanceOf[ObjectNode])
  }

  /** Rewrites a file's header, keeping its length (padding with spaces). */
  private def editHeader(p: Path)(edit: ObjectNode => Unit): Unit = {
    val b = Files.readAllBytes(p)
    val (n, h) = header(p)
    edit(h)
    val j = json.writeValueAsBytes(h)
    assert(j.length <= n)
    val out = b.clone()
    System.arraycopy(j, 0, out, 8, j.length)
    java.util.Arrays.fill(out, 8 + j.length, 8 + n, ' '.toByte)
    Files.write(p, out)
  }

  private def verify(out: Path): (Int, Seq[String], String) = {
    val r = cli("verify", out.toString)
    (r.code, r.err.linesIterator.filter(_.startsWith("shardinit: verify: ")).map(_.stripPrefix("shardinit: verify: "))
      .toSeq, r.out.trim)
  }

  test("a good safetensors checkpoint verifies: every region regenerated, headers and index exact") {
    val (code, problems, out) = verify(good)
    assert(code == 0 && problems.isEmpty, problems)
    assert(out == "verified 31 of 31 regions of 7 files (4,481 of 4,481 elements): manifest, values, layout, "
      + "metadata and checksums match")
    val i = cli("inspect", good.toString)
    assert(i.code == 0, i.err)
    assert(i.out.linesIterator.exists(l => l.startsWith("smoke.blocks.1.bias ") && l.endsWith(f(7))), i.out)
    assert(i.out.trim.linesIterator.toSeq.last == "23 tensors, 4,481 parameters, 7 files, 17.7 KiB; seed 20240607, "
      + "format safetensors, spec version 1")
  }

  test("--sample: regions chosen by a hash of their file and first element, and at least one of every tensor") {
    val r = cli("verify", good.toString, "--sample", "0.0001")
    assert(r.code == 0, r.err)
    assert(r.out.trim == "verified 23 of 31 regions of 7 files (3,149 of 4,481 elements): manifest, values, layout, "
      + "metadata and checksums match", r.out)
  }

  test("a flipped byte in a tensor's values is named by tensor, file and element") {
    val out = copy("st-flip")
    val p = out.resolve(f(3))
    val (n, _) = header(p)
    val b = Files.readAllBytes(p)
    b(8 + n + 10) = (b(8 + n + 10) ^ 0x40).toByte
    Files.write(p, b)
    assert(verify(out)._2 == Seq(s"tensor 'smoke.xavier_normal' file ${f(3)} elements [0, 128): element 1 "
      + s"(byte ${8 + n + 10}) differs from its regeneration"))
  }

  test("a truncated file: its size, and the region that runs past its end") {
    val out = copy("st-trunc")
    val p = out.resolve(f(5))
    val b = Files.readAllBytes(p)
    Files.write(p, b.take(b.length - 100))
    assert(verify(out)._2 == Seq(
      s"file ${f(5)}: is ${b.length - 100} bytes; its header and tensors make ${b.length} (truncated?)",
      s"tensor 'smoke.orthogonal_conv' file ${f(5)} elements [0, 128): the file ends at byte ${b.length - 100}, "
        + s"before the region's end at byte ${b.length}"))
  }

  test("an edited header: dtype, shape and offsets each named; a tensor added or dropped") {
    val out = copy("st-header")
    editHeader(out.resolve(f(2))) { h =>
      val t = h.get("smoke.xavier_uniform").asInstanceOf[ObjectNode]
      t.put("dtype", "F16")
      t.set[ArrayNode]("shape", json.createArrayNode().add(16).add(32))
    }
    editHeader(out.resolve(f(4))) { h =>
      val t = h.get("smoke.kaiming_normal").asInstanceOf[ObjectNode]
      t.set[ArrayNode]("data_offsets", json.createArrayNode().add(1534).add(2558))
    }
    editHeader(out.resolve(f(7))) { h =>
      h.set[ObjectNode]("smoke.extra", h.get("smoke.blocks.1.bias").deepCopy[ObjectNode]())
      h.remove("smoke.blocks.1.bias")
    }
    assert(verify(out)._2 == Seq(
      s"""file ${f(2)}: tensor 'smoke.xavier_uniform': its header says dtype "F16", the manifest gives "F32"""",
      s"file ${f(2)}: tensor 'smoke.xavier_uniform': its header says shape [16,32], the manifest gives [32,16]",
      s"file ${f(4)}: tensor 'smoke.kaiming_normal': its header says data_offsets [1534,2558], the manifest gives "
        + "[1536,2560]",
      s"file ${f(7)}: its header has no tensor 'smoke.blocks.1.bias'",
      s"file ${f(7)}: its header has tensor 'smoke.extra', which the manifest does not put in this file"))
  }

  test("a missing file names the tensors it held; a missing or edited index; an extra file") {
    val out = copy("st-missing")
    Files.delete(out.resolve(f(6)))
    Files.writeString(out.resolve("notes.txt"), "mine")
    val a = verify(out)._2
    assert(a == Seq(s"file ${f(6)}: missing (it holds 'smoke.sparse', 'smoke.blocks.0.weight', "
      + "'smoke.blocks.0.bias', and 2 more)", "extra file notes.txt: not in manifest.json"))
    val idx = copy("st-index")
    Files.writeString(idx.resolve("model.safetensors.index.json"),
      Files.readString(idx.resolve("model.safetensors.index.json")).replace(f(7), f(6)))
    assert(verify(idx)._2 == Seq("file model.safetensors.index.json: differs from the index the manifest gives (its "
      + "weight_map differs)"))
    Files.delete(idx.resolve("model.safetensors.index.json"))
    assert(verify(idx)._2 == Seq("file model.safetensors.index.json: missing"))
  }

  test("a manifest whose region offset or file is not the layout's is refused before any file is opened") {
    val out = copy("st-manifest")
    val m = json.readTree(out.resolve("manifest.json").toFile).asInstanceOf[ObjectNode]
    val tensors = m.get("tensors").elements().asScala.toSeq
    val uniform = tensors.find(_.get("name").asText == "smoke.uniform").get.get("files").get(0).asInstanceOf[ObjectNode]
    val at = uniform.get("offset").asLong
    uniform.put("offset", at + 4)
    val ones = tensors.find(_.get("name").asText == "smoke.ones").get.get("files").get(0).asInstanceOf[ObjectNode]
    val path = ones.get("path").asText
    ones.put("path", "../../etc/hostname")
    json.writeValue(out.resolve("manifest.json").toFile, m)
    val (code, problems, _) = verify(out)
    assert(code == 1)
    assert(problems == Seq(
      s"tensor 'smoke.uniform' file ${uniform.get("path").asText}: offset is ${at + 4}, but the layout puts element 0 "
        + s"at byte $at",
      s"tensor 'smoke.ones' file ../../etc/hostname: path should be $path (the file the layout puts the tensor in); "
        + "it is not opened"), problems)
    val i = cli("inspect", out.toString)
    assert(i.code == 1 && i.err.contains("offset is"), i.err)
  }
}
