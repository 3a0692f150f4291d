package dev.shardinit.cli

import dev.shardinit.spark.SparkSuiteBase
import dev.shardinit.testing.{FaultyFs, Proc}

import java.nio.file.{Files, Path}
import scala.jdk.CollectionConverters._

/**
 * shardinit as a process of its own: what signals, kill -9, a second run and the console see. Each test starts a
 * JVM (a few seconds); the long job is 4 GiB of float32 normal_ values, which takes many seconds on two cores, so
 * a test that interrupts it mid-way waits for progress lines, never for a time.
 */
class ProcessSuite extends SparkSuiteBase {
  private lazy val bigJob: Path = {
    val j = Files.createDirectories(dir("jobs")).resolve("big.yaml")
    Files.writeString(j, "seed: 3\ntensors:\n  - {name: big.weight, shape: [32768, 32768], init: normal_, args: {std: 0.02}}\n")
  }

  private def siblings(p: Path): Seq[String] =
    Files.list(p.getParent).iterator().asScala.map(_.getFileName.toString).filter(_ != p.getFileName.toString).toSeq

  private def bytesOf(line: String): Double = {
    val m = """shardinit: \d+/\d+ (?:files|regions) \w+\s+([0-9.]+) (\w+) / .*""".r
    val m(v, unit) = line
    v.toDouble * math.pow(1024, Seq("B", "KiB", "MiB", "GiB", "TiB").indexOf(unit))
  }

  test("progress moves while a job writes; SIGINT then stops it: exit 130, one line, nothing left") {
    val out = dir("sigint").resolve("ckpt")
    val p = Proc.start(dir("sigint-tmp"), Seq("generate", bigJob.toString, "--out", out.toString))
    val first = p.awaitErr("midway")(Proc.midway)
    val second = p.awaitErr("further along")(l => Proc.midway(l) && bytesOf(l) > bytesOf(first))
    assert(bytesOf(second) > bytesOf(first))
    p.signal("INT")
    val (code, err, stdout) = p.finish()
    assert(code == 130, err.mkString("\n"))
    assert(err.last == s"shardinit: interrupted (SIGINT): $out removed", err.mkString("\n"))
    assert(err.forall(_.startsWith("shardinit: ")), err.mkString("\n"))
    assert(stdout.isEmpty)
    assert(!Files.exists(out))
    assert(siblings(out).isEmpty)
  }

  test("a second run on a live run's output is refused naming it; SIGTERM then ends the first: exit 143") {
    val out = dir("busy").resolve("ckpt")
    val p = Proc.start(dir("busy-tmp"), Seq("generate", bigJob.toString, "--out", out.toString))
    p.awaitErr("midway")(Proc.midway)
    for (extra <- Seq(Seq(), Seq("--overwrite"))) {
      val r = cli(Seq("generate", "jobs/smoke.yaml", "--out", out.toString) ++ extra: _*)
      assert(r.code == 2, r.err)
      assert(r.err.trim.matches(s"shardinit: error: --out: ${java.util.regex.Pattern.quote(out.toString)} is in use by " +
        s"shardinit run [0-9a-f]{12} \\(pid ${p.pid} on host [^ ]+, started [^ ]+\\); wait for it to end or choose another --out"), r.err)
    }
    p.signal("TERM")
    val (code, err, _) = p.finish()
    assert(code == 143, err.mkString("\n"))
    assert(err.last == s"shardinit: interrupted (SIGTERM): $out removed", err.mkString("\n"))
    assert(!Files.exists(out))
  }

  test("SIGINT during --overwrite: the previous checkpoint stays exactly as it was, nothing is left beside it") {
    val out = dir("overwrite").resolve("ckpt")
    assert(cli("generate", "jobs/smoke.yaml", "--out", out.toString).code == 0)
    val before = listFiles(out).map(f => f -> Files.readAllBytes(out.resolve(f)).toSeq).toMap
    val p = Proc.start(dir("overwrite-tmp"), Seq("generate", bigJob.toString, "--out", out.toString, "--overwrite"))
    p.awaitErr("midway")(Proc.midway)
    assert(siblings(out).exists(_.startsWith(".ckpt.shardinit-")), siblings(out)) // the new one is staged beside
    p.signal("INT")
    val (code, err, _) = p.finish()
    assert(code == 130, err.mkString("\n"))
    assert(err.last == s"shardinit: interrupted (SIGINT): $out keeps its previous checkpoint", err.mkString("\n"))
    assert(listFiles(out).map(f => f -> Files.readAllBytes(out.resolve(f)).toSeq).toMap == before)
    assert(siblings(out).isEmpty, siblings(out))
    assert(cli("verify", out.toString).code == 0)
  }

  test("kill -9: nothing looks like a checkpoint, the remains are named, and --overwrite recovers") {
    val out = dir("kill").resolve("ckpt")
    val p = Proc.start(dir("kill-tmp"), Seq("generate", bigJob.toString, "--out", out.toString))
    p.awaitErr("midway")(Proc.midway)
    p.signal("KILL")
    val (code, _, _) = p.finish()
    assert(code == 137)
    assert(!Files.exists(out.resolve("manifest.json")))
    val verify = cli("verify", out.toString)
    assert(verify.code == 2 && verify.err.trim == s"shardinit: error: $out: no manifest.json (not a checkpoint, or an incomplete one)")
    val again = cli("generate", "jobs/smoke.yaml", "--out", out.toString)
    assert(again.code == 2)
    assert(again.err.trim.matches(s"shardinit: error: --out: ${java.util.regex.Pattern.quote(out.toString)} holds the " +
      s"remains of shardinit run [0-9a-f]{12} \\(pid ${p.pid} on host .*\\), which is no longer running; pass " +
      "--overwrite to replace them"), again.err)
    assert(cli("generate", "jobs/smoke.yaml", "--out", out.toString, "--overwrite").code == 0)
    val clean = dir("kill-clean")
    assert(cli("generate", "jobs/smoke.yaml", "--out", clean.toString).code == 0)
    assert(listFiles(out) == listFiles(clean))
    for (f <- listFiles(clean)) assert(java.util.Arrays.equals(Files.readAllBytes(out.resolve(f)), Files.readAllBytes(clean.resolve(f))), f)
  }

  test("safetensors: SIGINT removes the run's files; kill -9 leaves no model file, --overwrite recovers exactly") {
    val out = dir("st-int").resolve("ckpt")
    val p = Proc.start(dir("st-int-tmp"), Seq("generate", bigJob.toString, "--out", out.toString, "--format",
      "safetensors"))
    p.awaitErr("midway")(Proc.midway)
    p.signal("INT")
    val (code, err, _) = p.finish()
    assert(code == 130 && err.last == s"shardinit: interrupted (SIGINT): $out removed", err.mkString("\n"))
    assert(!Files.exists(out) && siblings(out).isEmpty, siblings(out))
    val killed = dir("st-kill").resolve("ckpt")
    val k = Proc.start(dir("st-kill-tmp"), Seq("generate", bigJob.toString, "--out", killed.toString, "--format",
      "safetensors"))
    k.awaitErr("midway")(Proc.midway)
    k.signal("KILL")
    assert(k.finish()._1 == 137)
    val left = Files.list(killed).iterator().asScala.map(_.getFileName.toString).toSeq
    assert(left.forall(n => n == ".shardinit-run" || n.matches("""\.model\.safetensors\..*\.tmp""")), left)
    assert(cli("generate", "jobs/smoke.yaml", "--out", killed.toString, "--format", "safetensors", "--overwrite")
      .code == 0)
    val clean = dir("st-kill-clean")
    assert(cli("generate", "jobs/smoke.yaml", "--out", clean.toString, "--format", "safetensors").code == 0)
    assert(listFiles(killed) == listFiles(clean))
    assert(java.util.Arrays.equals(Files.readAllBytes(killed.resolve("model.safetensors")),
      Files.readAllBytes(clean.resolve("model.safetensors"))))
  }

  test("an unreachable standalone master: one line naming spark.master, exit 2, nothing written") {
    val out = dir("no-master").resolve("ckpt")
    val p = Proc.start(dir("no-master-tmp"), Seq("generate", "jobs/smoke.yaml", "--out", out.toString),
      Map("spark.master" -> "spark://127.0.0.1:1"))
    val (code, err, stdout) = p.finish()
    assert(code == 2, err.mkString("\n"))
    assert(err == Seq("shardinit: error: spark.master: cannot reach the Spark master spark://127.0.0.1:1 "
      + "(127.0.0.1:1: Connection refused)"), err.mkString("\n"))
    assert(stdout.isEmpty && !Files.exists(out))
  }

  test("a failure on the console is one line naming the file and the log, not Spark's stack traces") {
    val out = dir("full").resolve("ckpt")
    val p = Proc.start(dir("full-tmp"), Seq("generate", "jobs/smoke.yaml", "--out", "faulty://" + out),
      Map("spark.hadoop.fs.faulty.impl" -> classOf[FaultyFs].getName, "shardinit.test.faulty.pattern" -> """\..*\.tmp""",
        "shardinit.test.faulty.writeLimit" -> "100"))
    val (code, err, stdout) = p.finish()
    assert(code == 1, err.mkString("\n"))
    assert(stdout.isEmpty)
    assert(err.size == 1, err.mkString("\n"))
    val line = """shardinit: failed: cannot write faulty:(\S+)/part-000000000000\.parquet: No space left on device \(faulty://\S+ removed\) \[log: (\S+)\]""".r
    err.head match {
      case line(_, log) =>
        assert(log == dir("full-tmp").resolve(s"shardinit-${p.pid}.log").toString)
        assert(Files.readString(Path.of(log)).contains("No space left on device"))
      case other => fail(other)
    }
    assert(!Files.exists(out))
  }

  test("another JVM writes the same bytes: every file of both formats is byte-identical to this JVM's") {
    for (format <- Seq("parquet", "arrow")) {
      val here = dir(s"bytes-here-$format")
      assert(cli("generate", "jobs/smoke.yaml", "--out", here.toString, "--format", format, "--shard-size", "256").code == 0)
      val there = dir(s"bytes-there-$format")
      val p = Proc.start(dir(s"bytes-tmp-$format"), Seq("generate", "jobs/smoke.yaml", "--out", there.toString, "--format",
        format, "--shard-size", "256"))
      val (code, err, _) = p.finish()
      assert(code == 0, err.mkString("\n"))
      assert(listFiles(here) == listFiles(there))
      for (f <- listFiles(here))
        assert(java.util.Arrays.equals(Files.readAllBytes(here.resolve(f)), Files.readAllBytes(there.resolve(f))), s"$format $f")
    }
  }
}
