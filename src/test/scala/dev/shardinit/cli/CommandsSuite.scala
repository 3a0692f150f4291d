package dev.shardinit.cli

import dev.shardinit.spark.SparkSuiteBase

/** inspect, plan and gain through the command line. */
class CommandsSuite extends SparkSuiteBase {
  test("inspect prints the table of tensors and the totals") {
    val out = dir("smoke")
    assert(cli("generate", "jobs/smoke.yaml", "--out", out.toString, "--shard-size", "16KiB").code == 0)
    val i = cli("inspect", out.toString)
    assert(i.code == 0 && i.err.isEmpty, i.err)
    val lines = i.out.linesIterator.toSeq
    assert(lines.head.split("\\s+").toSeq == Seq("tensor", "shape", "dtype", "init", "gain", "fan_in", "fan_out",
      "std/bound", "size", "files"))
    assert(lines.size == 23 + 3)
    assert(lines.exists(_.matches("smoke\\.kaiming_uniform\\s+\\[16, 8, 3\\]\\s+float32\\s+kaiming_uniform_.*")), i.out)
    assert(lines.last.startsWith("23 tensors, 4,481 parameters, "), lines.last)
  }

  test("plan prints the shards and the totals, and runs nothing") {
    val p = cli("plan", "jobs/smoke.yaml", "--shard-size", "16KiB")
    assert(p.code == 0, p.err)
    assert(p.out.linesIterator.exists(_.matches("23 tensors, \\d+ files, \\d+ tasks, .*")), p.out)
    assert(p.out.linesIterator.exists(_.contains("smoke.scalar/part-000000000000.parquet")), p.out)
  }

  test("plan of safetensors: each tensor's file, and the files with their headers in the totals") {
    val p = cli("plan", "jobs/smoke.yaml", "--format", "safetensors", "--max-shard-size", "4kB", "--shard-size", "1KiB")
    assert(p.code == 0, p.err)
    assert(p.out.linesIterator.exists(_.matches("smoke\\.scalar\\s+\\[\\]\\s+float64.*model-00001-of-00007\\.safetensors")),
      p.out)
    val last = p.out.trim.linesIterator.toSeq.last
    assert(last.matches("23 tensors, 7 files \\(\\d+\\.\\d KiB with headers; at most 4,000 bytes of values each\\), "
      + "\\d+ regions in \\d+ tasks, 17\\.7 KiB of values; seed 20240607, format safetensors, shard size 1\\.0 KiB"), last)
  }

  test("gain prints calculate_gain, and rejects what torch rejects") {
    assert(cli("gain", "leaky_relu", "0.2").out.trim == "1.3867504905630728")
    assert(cli("gain", "tanh").out.trim == (5.0 / 3).toString)
    val g = cli("gain", "leaky_relu", "True")
    assert(g.code == 2 && g.err.trim == "shardinit: error: negative_slope True not a valid number")
  }
}
