package dev.shardinit.e2e

import com.fasterxml.jackson.databind.ObjectMapper
import dev.shardinit.spark.SparkSuiteBase

import java.nio.file.Files
import scala.jdk.CollectionConverters._

/**
 * The values never change: src/test/resources/fixtures/tensor-crc32c.json holds the CRC-32C of every tensor of
 * jobs/smoke.yaml (its own dtypes, and all of them overridden to bfloat16, float16 and float64) and of
 * jobs/gpt2-small.yaml (float32 and bfloat16), recorded with the code of issue #11 (and checked equal to the code
 * before it). Each is generated again here, in both file formats, and every tensor's checksum must be the same.
 */
class ValuesFixtureSuite extends SparkSuiteBase {
  private val fixture = new ObjectMapper().readTree(getClass.getResourceAsStream("/fixtures/tensor-crc32c.json"))

  for (job <- fixture.fieldNames().asScala.toSeq; dtype <- fixture.get(job).fieldNames().asScala.toSeq;
       format <- Seq("parquet", "arrow")) {
    test(s"$job, dtype $dtype, $format: every tensor's CRC-32C is the recorded one") {
      val out = dir(s"$job-$dtype-$format")
      val extra = if (dtype == "default") Seq() else Seq("--dtype", dtype)
      val r = cli(Seq("generate", s"jobs/$job", "--out", out.toString, "--format", format) ++ extra: _*)
      assert(r.code == 0, r.err)
      val m = new ObjectMapper().readTree(Files.readString(out.resolve("manifest.json")))
      val got = m.get("tensors").elements().asScala.map(t => t.get("name").asText -> t.get("crc32c").asText).toMap
      val want = fixture.get(job).get(dtype).fields().asScala.map(e => e.getKey -> e.getValue.asText).toMap
      assert(got == want)
      deleteTree(out) // GPT-2 is half a GiB a run
    }
  }

  private def deleteTree(p: java.nio.file.Path): Unit = {
    val s = Files.walk(p)
    try s.iterator().asScala.toSeq.reverse.foreach(Files.delete) finally s.close()
  }
}
