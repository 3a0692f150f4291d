package dev.shardinit.commit

import dev.shardinit.format.{FileEntry, FileFormat, Manifest, ManifestJson, TensorEntry}
import dev.shardinit.init.{Init, Target, Dtype}
import dev.shardinit.spark.TestWork
import org.apache.hadoop.conf.Configuration
import org.scalatest.funsuite.AnyFunSuite

import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path}
import java.nio.file.attribute.FileTime
import scala.jdk.CollectionConverters._

/** How a run takes its output directory, without Spark: claims, what may be replaced, staging and the swap. */
class OutputDirSuite extends AnyFunSuite {
  private val conf = new Configuration()
  private def work(): Path = TestWork.dir("OutputDirSuite")

  private def out(p: Path): OutputDir = OutputDir.of(p.toString, conf)

  private def listFiles(root: Path): Seq[String] = {
    val s = Files.walk(root)
    try s.iterator().asScala.filter(Files.isRegularFile(_)).map(p => root.relativize(p).toString).toSeq.sorted
    finally s.close()
  }

  private def snapshot(root: Path): Map[String, Seq[Byte]] =
    listFiles(root).map(f => f -> Files.readAllBytes(root.resolve(f)).toSeq).toMap

  /** A small checkpoint as a run leaves it: a manifest naming one data file, and the file. */
  private def checkpoint(dir: Path, content: String = "data"): Manifest = {
    val init = Init.normal(Target.of("w", Array(4L, 4L), Dtype.FLOAT32, 1L), 0.0, 1.0)
    val file = new FileEntry("w/part-000000000000.parquet", 0, 16, 4, content.length, 0, 0, 0, 0, 0)
    val m = Manifest.of(1L, FileFormat.PARQUET, java.util.List.of(TensorEntry.of(init, "w", 0, java.util.List.of(file))))
    Files.createDirectories(dir.resolve("w"))
    Files.writeString(dir.resolve(file.path), content)
    ManifestJson.store(out(dir).fs(), out(dir).path(), m)
    m
  }

  private def claim(dir: Path, c: Claim): Path = {
    val p = dir.resolve(Claim.FILE)
    Files.write(p, c.toBytes)
    p
  }

  private def deadPid(): Long = {
    val p = new ProcessBuilder("true").start()
    p.waitFor()
    p.pid()
  }

  private def withPid(c: Claim, pid: Long): Claim = new Claim(c.run, c.host, pid, c.pidStarted, c.started, c.staging)

  private def refused(o: OutputDir, overwrite: Boolean): String =
    intercept[OutputException](o.start(overwrite, 0, true)).getMessage

  test("a new directory is created and claimed; abandoning the run removes it") {
    val d = work().resolve("new")
    val run = out(d).start(false, 0, true)
    assert(run.writeDir().toUri.getPath == d.toString && !run.replaces())
    val c = Claim.parse(Files.readAllBytes(d.resolve(Claim.FILE))).get
    assert(c.run == run.id && c.pid == ProcessHandle.current().pid() && c.staging == null)
    assert(run.abandon() == s"$d removed")
    assert(!Files.exists(d))
  }

  test("an empty directory is claimed in place; abandoning leaves it empty") {
    val d = Files.createDirectories(work().resolve("empty"))
    val run = out(d).start(false, 0, true)
    Files.createDirectories(d.resolve("t"))
    Files.writeString(d.resolve("t/part-000000000000.parquet"), "x")
    assert(run.abandon() == s"$d left empty")
    assert(Files.exists(d) && Files.list(d).count() == 0)
  }

  test("a directory with a manifest.json that is not shardinit's is never replaced: the issue's example") {
    val d = Files.createDirectories(work().resolve("p"))
    Files.createDirectories(d.resolve("src"))
    Files.writeString(d.resolve("manifest.json"), """{"manifest_version":3}""")
    Files.writeString(d.resolve("src/important.js"), "code")
    assert(refused(out(d), overwrite = true) == s"--out: refusing to overwrite $d: its manifest.json is not a " +
      "shardinit manifest: its \"format\" is nothing, not \"shardinit-checkpoint\"")
    assert(Files.readString(d.resolve("src/important.js")) == "code")
    assert(listFiles(d) == Seq("manifest.json", "src/important.js"))
  }

  test("a checkpoint with anything else in it is not replaced, and the refusal names what is foreign") {
    val d = work().resolve("ckpt")
    checkpoint(d)
    Files.writeString(d.resolve("notes.txt"), "mine")
    Files.writeString(d.resolve("w/extra.bin"), "mine too")
    Files.createDirectories(d.resolve("w/sub"))
    val before = snapshot(d)
    assert(refused(out(d), overwrite = true) == s"--out: refusing to overwrite $d: it holds what is not a shardinit " +
      "checkpoint's: notes.txt, w/extra.bin, w/sub/")
    assert(snapshot(d) == before)
    assert(refused(out(d), overwrite = false) == s"--out: output directory $d exists (pass --overwrite to replace it)")
  }

  test("replacing a checkpoint stages the new one beside it and swaps it in only at the commit") {
    val d = work().resolve("replace")
    checkpoint(d, "old")
    val before = snapshot(d)
    val run = out(d).start(true, 0, true)
    assert(run.replaces())
    val staging = Path.of(run.writeDir().toUri.getPath)
    assert(staging.getParent == d.getParent && staging.getFileName.toString.startsWith(s".${d.getFileName}.shardinit-"))
    assert(Claim.parse(Files.readAllBytes(d.resolve(Claim.FILE))).get.staging == run.writeDir().toString)
    val m = checkpoint(staging, "new!")
    assert(snapshot(d) - Claim.FILE == before) // the old checkpoint is untouched while the new one is written
    assert(run.commit(m) == null)
    assert(Files.readString(d.resolve("w/part-000000000000.parquet")) == "new!")
    assert(listFiles(d) == Seq("manifest.json", "w/part-000000000000.parquet"))
    assert(Files.list(d.getParent).iterator().asScala.map(_.getFileName.toString).toSeq == Seq("replace"))
  }

  test("a replacing run that is abandoned leaves the old checkpoint exactly as it was, and nothing beside it") {
    val d = work().resolve("keep")
    checkpoint(d, "old")
    val before = snapshot(d)
    val run = out(d).start(true, 0, true)
    val staging = Path.of(run.writeDir().toUri.getPath)
    Files.createDirectories(staging.resolve("w"))
    Files.writeString(staging.resolve("w/.part-000000000000.parquet.x-0-0-1.tmp"), "partial")
    assert(run.abandon() == s"$d keeps its previous checkpoint")
    assert(snapshot(d) == before)
    assert(Files.list(d.getParent).iterator().asScala.map(_.getFileName.toString).toSeq == Seq("keep"))
  }

  test("a live run's claim is refused, with or without --overwrite, naming the run") {
    val d = work().resolve("live")
    checkpoint(d)
    val c = Claim.mine("0123456789abcdef0123456789abcdef", null)
    claim(d, c)
    val m = refused(out(d), overwrite = true)
    assert(m == s"--out: $d is in use by shardinit run 0123456789ab (pid ${c.pid} on host ${c.host}, started " +
      s"${c.started}); wait for it to end or choose another --out", m)
    assert(refused(out(d), overwrite = false) == m)
  }

  test("a dead run's remains are named without --overwrite and cleared with it; its claim is taken over") {
    val d = work().resolve("dead")
    Files.createDirectories(d.resolve("w"))
    Files.writeString(d.resolve("w/part-000000000000.parquet"), "half")
    Files.writeString(d.resolve("w/.part-000001048576.parquet.aa-1-0-7.tmp"), "quarter")
    val dead = withPid(Claim.mine("fedcba9876543210fedcba9876543210", null), deadPid())
    claim(d, dead)
    assert(refused(out(d), overwrite = false) == s"--out: $d holds the remains of shardinit run fedcba987654 " +
      s"(pid ${dead.pid} on host ${dead.host}, started ${dead.started}), which is no longer running; pass " +
      "--overwrite to replace them")
    val run = out(d).start(true, 0, true)
    assert(!run.replaces())
    assert(listFiles(d) == Seq(Claim.FILE))
    assert(Claim.parse(Files.readAllBytes(d.resolve(Claim.FILE))).get.run == run.id)
  }

  test("a dead replacing run: its checkpoint stays, and --overwrite removes the staging directory it left") {
    val d = work().resolve("dead-staged")
    checkpoint(d, "old")
    val staging = d.getParent.resolve(s".${d.getFileName}.shardinit-aaaaaaaaaaaa")
    Files.createDirectories(staging.resolve("w"))
    Files.writeString(staging.resolve(".shardinit-staging"), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    Files.writeString(staging.resolve("w/part-000000000000.parquet"), "partial")
    val dead = withPid(Claim.mine("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", staging.toUri.toString), deadPid())
    claim(d, dead)
    assert(refused(out(d), overwrite = false).contains(s"holds a checkpoint and the claim of shardinit run aaaaaaaaaaaa"))
    val run = out(d).start(true, 0, true)
    assert(run.replaces())
    assert(!Files.exists(staging))
    run.abandon()
  }

  test("another host's claim is live while it is refreshed, and dead once it is older than the staleness limit") {
    val d = work().resolve("remote")
    checkpoint(d)
    val remote = {
      val c = Claim.mine("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", null)
      new Claim(c.run, "another-host.example", 1, c.pidStarted, c.started, null)
    }
    val p = claim(d, remote)
    assert(refused(out(d), overwrite = true).contains("is in use by shardinit run bbbbbbbbbbbb (pid 1 on host another-host.example"))
    Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis() - Claim.STALE_MILLIS - 1000))
    val run = out(d).start(true, 0, true)
    assert(Claim.parse(Files.readAllBytes(d.resolve(Claim.FILE))).get.run == run.id)
    run.abandon()
  }

  test("an unreadable claim (empty: being written) counts as live until it is stale") {
    val d = work().resolve("empty-claim")
    checkpoint(d)
    Files.write(d.resolve(Claim.FILE), Array[Byte]())
    assert(refused(out(d), overwrite = true) == s"--out: $d is in use by another shardinit run; wait for it to end " +
      "or choose another --out")
  }

  test("a run that needs more than the file system has free is refused before anything is created") {
    val d = work().resolve("big")
    val m = refused2(out(d), 1L << 50)
    assert(m.startsWith(s"--out: the checkpoint needs about 1.0 PiB but $d's file system has ") &&
      m.endsWith(" free (pass --no-space-check to write anyway)"), m)
    assert(!Files.exists(d))
    out(d).start(false, 1L << 50, false).abandon() // the check can be skipped
  }

  private def refused2(o: OutputDir, bytes: Long): String =
    intercept[OutputException](o.start(false, bytes, true)).getMessage

  test("bad outputs are one line naming --out: empty, a scheme with no file system, a file") {
    assert(intercept[OutputException](OutputDir.of("", conf)).getMessage == "--out: must not be empty")
    assert(intercept[OutputException](OutputDir.of("  ", conf)).getMessage == "--out: must not be empty")
    val e = intercept[OutputException](OutputDir.of("nosuchscheme:///x", conf)).getMessage
    assert(e == "--out: cannot use nosuchscheme:///x: No FileSystem for scheme \"nosuchscheme\"", e)
    val f = Files.writeString(work().resolve("a-file"), "x")
    assert(refused(out(f), overwrite = true) == s"--out: $f exists and is not a directory")
  }

  test("two runs on one new directory: the second finds the first's claim") {
    val d = work().resolve("race")
    val first = out(d).start(false, 0, true)
    val second = intercept[OutputException](out(d).start(false, 0, true)).getMessage
    assert(second.startsWith(s"--out: $d is in use by shardinit run ${first.shortId()} (pid "), second)
    first.abandon()
  }
}
