package dev.shardinit.cli

import dev.shardinit.testing.{FaultInjection, Faults}

import java.nio.file.{Files, Path}
import scala.jdk.CollectionConverters._

/**
 * What generate does with its output directory, through the CLI on local Spark: --overwrite replaces only on
 * success, a failed run (a full disk, from a test file system) leaves nothing of its own and keeps what was
 * there, the free space is checked first, bad outputs are exit 2, and temporary names are unique per run.
 */
class OutputSuite extends FaultInjection {
  private def faulty(p: Path): String = "faulty://" + p.toString

  private def snapshot(root: Path): Map[String, Seq[Byte]] =
    listFiles(root).map(f => f -> Files.readAllBytes(root.resolve(f)).toSeq).toMap

  private def siblings(p: Path): Seq[String] =
    Files.list(p.getParent).iterator().asScala.map(_.getFileName.toString).filter(_ != p.getFileName.toString).toSeq

  test("--overwrite replaces a checkpoint once the new one is complete, and leaves nothing beside it") {
    val out = Files.createDirectories(dir("replace").resolve("ckpt"))
    Files.delete(out)
    assert(cli("generate", "jobs/smoke.yaml", "--out", out.toString).code == 0)
    val r = cli("generate", "jobs/smoke.yaml", "--out", out.toString, "--overwrite", "--format", "arrow", "--seed", "5")
    assert(r.code == 0, r.err)
    val files = listFiles(out)
    assert(files.contains("manifest.json") && files.filter(_ != "manifest.json").forall(_.endsWith(".arrow")), files)
    assert(siblings(out).isEmpty, siblings(out))
    assert(cli("verify", out.toString).code == 0)
  }

  test("a rerun that fails (a full disk) leaves the previous checkpoint exactly as it was, and says so in one line") {
    val out = dir("keep").resolve("ckpt")
    assert(cli("generate", "jobs/smoke.yaml", "--out", faulty(out)).code == 0)
    val before = snapshot(out)
    Faults.pattern = """\..*\.tmp"""
    Faults.writeLimit = 100
    val r = cli("generate", "jobs/smoke.yaml", "--out", faulty(out), "--overwrite", "--seed", "7")
    assert(r.code == 1, r.err)
    val line = """shardinit: failed: cannot write faulty:(/.*)/part-000000000000\.parquet: No space left on device \((.*)\)""".r
    r.err.trim match {
      case line(dirOfFile, left) =>
        assert(dirOfFile.contains(s"/.${out.getFileName}.shardinit-"), dirOfFile) // the new one was staged beside
        assert(left == s"${faulty(out)} keeps its previous checkpoint")
      case other => fail(other)
    }
    assert(snapshot(out) == before)
    assert(siblings(out).isEmpty, siblings(out))
    assert(cli("verify", out.toString).code == 0)
  }

  test("a first run that fails removes what it wrote and says so in one line naming the file") {
    val out = dir("fail").resolve("ckpt")
    Faults.pattern = """\..*\.tmp"""
    Faults.writeLimit = 100
    val r = cli("generate", "jobs/smoke.yaml", "--out", faulty(out))
    assert(r.code == 1, r.err)
    assert(r.err.linesIterator.size == 1, r.err)
    assert(r.err.matches(s"""shardinit: failed: cannot write faulty:$out/[^ ]+/part-000000000000\\.parquet: No space left on device \\(${java.util.regex.Pattern.quote(faulty(out))} removed\\)\\s*"""), r.err)
    assert(!Files.exists(out))
  }

  test("a job that does not fit the free space is refused before anything runs; --no-space-check goes ahead") {
    val out = dir("space").resolve("ckpt")
    Faults.free = 10000
    val r = cli("generate", "jobs/smoke.yaml", "--out", faulty(out))
    assert(r.code == 2, r.err)
    assert(r.err.trim.matches("""shardinit: error: --out: the checkpoint needs about [0-9.]+ MiB but faulty://.*/ckpt's file system has 9\.8 KiB free \(pass --no-space-check to write anyway\)"""), r.err)
    assert(!Files.exists(out))
    val go = cli("generate", "jobs/smoke.yaml", "--out", faulty(out), "--no-space-check")
    assert(go.code == 0, go.err)
  }

  test("bad --out values are one line naming --out, exit 2, nothing written") {
    val cases = Seq(
      "" -> "shardinit: error: --out: must not be empty",
      "nosuchscheme:///tmp/x" -> "shardinit: error: --out: cannot use nosuchscheme:///tmp/x: No FileSystem for scheme \"nosuchscheme\"",
      "hdfs://no-such-host.invalid:8020/ckpt" -> "shardinit: error: --out: cannot use hdfs://no-such-host.invalid:8020/ckpt: ")
    for ((value, message) <- cases) {
      val r = cli("generate", "jobs/smoke.yaml", "--out", value)
      assert(r.code == 2, s"'$value': ${r.err}")
      assert(r.err.linesIterator.size == 1 && r.err.startsWith(message), r.err)
      assert(r.out.isEmpty)
    }
  }

  test("temporary file names carry the run's id: two runs of one job never share one") {
    def run(out: Path): Set[String] = {
      Faults.created.clear()
      assert(cli("generate", "jobs/smoke.yaml", "--out", faulty(out), "--shard-size", "256").code == 0)
      Faults.created.asScala.filter(n => n.startsWith(".part-") && n.endsWith(".tmp")).toSet
    }
    val a = run(dir("tmp-a").resolve("ckpt"))
    val b = run(dir("tmp-b").resolve("ckpt"))
    assert(a.nonEmpty && b.nonEmpty)
    assert(a.intersect(b).isEmpty)
    def ids(s: Set[String]) = s.map(n => n.split("\\.")(3).split("-")(0))
    assert(ids(a).size == 1 && ids(b).size == 1 && ids(a) != ids(b), (ids(a), ids(b)))
    assert(ids(a).head.matches("[0-9a-f]{12}"))
  }

  test("torch's warnings are printed on stderr by plan and generate, and the run goes on") {
    val job = Files.writeString(Files.createDirectories(dir("warn")).resolve("job.yaml"),
      "seed: 1\ntensors:\n  - {name: w, shape: [4, 4], init: trunc_normal_, args: {mean: 5}}\n")
    val warning = s"shardinit: warning: $job: tensors[0] 'w': init: mean is more than 2 std from [a, b] in " +
      "nn.init.trunc_normal_. The distribution of values may be incorrect."
    val p = cli("plan", job.toString)
    assert(p.code == 0 && p.err.linesIterator.toSeq == Seq(warning), p.err)
    val g = cli("generate", job.toString, "--out", dir("warn").resolve("out").toString)
    assert(g.code == 0 && g.err.linesIterator.toSeq.head == warning, g.err)
  }
}
