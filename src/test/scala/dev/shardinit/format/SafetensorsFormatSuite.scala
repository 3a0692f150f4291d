package dev.shardinit.format

import dev.shardinit.format.safetensors.{Safetensors, SafetensorsIndex, SafetensorsLayout}
import dev.shardinit.init.{Dtype, Init, Target}
import dev.shardinit.rng.Stream
import org.scalatest.funsuite.AnyFunSuite

import java.nio.charset.StandardCharsets
import java.nio.{ByteBuffer, ByteOrder}
import scala.jdk.CollectionConverters._

/** The safetensors header and index as bytes: the crate's rules (safetensors/src/tensor.rs) and transformers'. */
class SafetensorsFormatSuite extends AnyFunSuite {
  private def entry(name: String, shape: Array[Long], dt: Dtype): TensorEntry =
    TensorEntry.of(Init.normal(Target.of(name, shape, dt, 7L), 0, 0.02), null, 0, java.util.List.of())

  private val tensors = Seq(entry("emb", Array(10L, 4L), Dtype.BFLOAT16), entry("w", Array(4L, 4L), Dtype.FLOAT32),
    entry("é", Array(3L), Dtype.FLOAT64), entry("z", Array(0L, 5L), Dtype.FLOAT16))

  test("header: u64 little-endian length, JSON padded with spaces to a multiple of 8, offsets relative to the data") {
    val layout = SafetensorsLayout.of(tensors.asJava, 7L, Stream.SPEC_VERSION, 1L << 30)
    assert(layout.files.size == 1)
    val f = layout.files.get(0)
    assert(f.name == "model.safetensors")
    val h = f.header
    val n = ByteBuffer.wrap(h, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong
    assert(n == h.length - 8 && n % 8 == 0)
    val text = new String(h, 8, n.toInt, StandardCharsets.UTF_8)
    assert(text.endsWith("}" + " " * (text.length - text.stripTrailing().length)))
    val json = Safetensors.parse(text.getBytes(StandardCharsets.UTF_8))
    // data order: float64, float32, then the 16-bit tensors in job order
    val names = json.fieldNames().asScala.toSeq
    assert(names == Seq("__metadata__", "é", "w", "emb", "z"))
    def offsets(k: String) = json.get(k).get("data_offsets").elements().asScala.map(_.asLong).toSeq
    assert(offsets("é") == Seq(0L, 24L) && offsets("w") == Seq(24L, 88L) && offsets("emb") == Seq(88L, 168L))
    assert(offsets("z") == Seq(168L, 168L)) // an empty tensor: [x, x]
    assert(json.get("emb").get("dtype").asText == "BF16" && json.get("z").get("dtype").asText == "F16")
    assert(json.get("w").get("shape").toString == "[4,4]")
    val meta = json.get("__metadata__")
    assert(meta.get("format").asText == "pt")
    assert(meta.fieldNames().asScala.forall(k => meta.get(k).isTextual))
    val ours = Safetensors.parse(meta.get("shardinit").asText.getBytes(StandardCharsets.UTF_8))
    assert(ours.get("seed").asLong == 7L && ours.get("spec_version").asText == Stream.SPEC_VERSION)
    assert(ours.get("tensors").get(1).get("std").asDouble == 0.02)
    assert(f.size == h.length + 168)
    assert(layout.positionOf(1, 0) == h.length + 24 && layout.positionOf(1, 2) == h.length + 32)
  }

  test("the same tensors always give the same bytes; names and files follow Hugging Face's") {
    val a = SafetensorsLayout.of(tensors.asJava, 7L, "1", 100)
    val b = SafetensorsLayout.of(tensors.asJava, 7L, "1", 100)
    assert(a.files.asScala.map(_.name).toSeq == Seq("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"))
    for (k <- 0 until 2) assert(java.util.Arrays.equals(a.files.get(k).header, b.files.get(k).header))
    val index = new String(SafetensorsIndex.of(tensors.asJava, a), StandardCharsets.UTF_8)
    assert(index ==
      """{
        |  "metadata": {
        |    "total_parameters": 59,
        |    "total_size": 168
        |  },
        |  "weight_map": {
        |    "emb": "model-00001-of-00002.safetensors",
        |    "w": "model-00002-of-00002.safetensors",
        |    "z": "model-00002-of-00002.safetensors",
        |    "é": "model-00002-of-00002.safetensors"
        |  }
        |}
        |""".stripMargin)
    assert(Safetensors.nameProblem("__metadata__") != null && Safetensors.nameProblem("lm_head.weight") == null)
  }
}
