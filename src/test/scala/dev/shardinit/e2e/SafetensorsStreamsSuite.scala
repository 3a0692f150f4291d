package dev.shardinit.e2e

import dev.shardinit.testing.{FaultInjection, Faults}

import java.nio.file.{Files, Path}

/**
 * safetensors on a file system without positional writes (the test file system `faulty:`, which serves local
 * files but is not `file:`, as HDFS and object stores are not): regions are written as part files and assembled
 * after the job. The files are byte for byte those positional writes make; a retried task changes nothing; a
 * failed run leaves nothing.
 */
class SafetensorsStreamsSuite extends FaultInjection {
  private def generate(out: String, extra: String*): Run =
    cli(Seq("generate", "jobs/smoke.yaml", "--out", out, "--format", "safetensors", "--max-shard-size", "4kB",
      "--shard-size", "1KiB") ++ extra: _*)

  private lazy val positional: Path = {
    val out = dir("st-positional")
    assert(generate(out.toString).code == 0)
    out
  }

  private def sameFiles(a: Path, b: Path): Unit = {
    val files = listFiles(a).filter(_ != "manifest.json")
    assert(files == listFiles(b).filter(_ != "manifest.json") && files.size == 8)
    for (f <- files) assert(java.util.Arrays.equals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f))), f)
    assert(java.util.Arrays.equals(Files.readAllBytes(a.resolve("manifest.json")),
      Files.readAllBytes(b.resolve("manifest.json"))))
  }

  test("parts assembled after the job: the files, index and manifest of positional writes, nothing else left") {
    val out = dir("st-streams")
    val r = generate("faulty://" + out)
    assert(r.code == 0, r.err)
    sameFiles(positional, out)
    assert(Faults.created.toArray.exists(_.toString.matches("""\.part-0+\..*\.tmp""")), "no part file was written")
    val v = cli("verify", "faulty://" + out)
    assert(v.code == 0, v.err)
  }

  test("a part whose first write fails is retried: the same files") {
    Faults.pattern = "part-0000000000000000" // the rename of a region's part file into place
    Faults.renameFailures.set(2)
    val out = dir("st-streams-retry")
    val r = generate("faulty://" + out)
    assert(r.code == 0, r.err)
    assert(Faults.renameFailures.get == 0)
    sameFiles(positional, out)
  }

  test("an assembly that cannot finish fails the run, which leaves nothing; export assembles the same files") {
    Faults.pattern = """\.model-00003-of-00007\.safetensors\..*\.tmp""" // an assembled file into place
    Faults.renameFailures.set(Int.MaxValue)
    val out = dir("st-streams-fail")
    val r = generate("faulty://" + out)
    assert(r.code == 1, r.err)
    assert(r.err.contains("injected rename failure"), r.err)
    assert(!Files.exists(out))
    Faults.reset()
    val src = dir("st-streams-src")
    assert(cli("generate", "jobs/smoke.yaml", "--out", src.toString, "--shard-size", "256").code == 0)
    val exported = dir("st-streams-export")
    val x = cli("export", src.toString, "--to", "safetensors", "--out", "faulty://" + exported, "--max-shard-size",
      "4kB")
    assert(x.code == 0, x.err)
    val files = listFiles(positional).filter(_ != "manifest.json")
    assert(listFiles(exported).filter(_ != "manifest.json") == files)
    for (f <- files) {
      assert(java.util.Arrays.equals(Files.readAllBytes(positional.resolve(f)), Files.readAllBytes(exported.resolve(f))))
    }
  }
}
