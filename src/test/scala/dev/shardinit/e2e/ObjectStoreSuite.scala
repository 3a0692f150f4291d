package dev.shardinit.e2e

import dev.shardinit.format.FileSink
import dev.shardinit.spark.SparkSuiteBase
import dev.shardinit.task.Placement
import dev.shardinit.testing.S3Server
import org.apache.hadoop.fs.{FileSystem, Path => HPath}

import java.io.IOException
import java.net.URI
import java.nio.file.{Files, Path}
import scala.collection.mutable.ArrayBuffer

/**
 * Checkpoints on an S3-compatible object store (S3Proxy, a process of its own: testing/S3Server) through s3a://.
 * There a rename copies the object, so the commit protocol writes every file straight to its name, aborting the
 * stream of a failed write, and the manifest last (docs/FORMAT.md). Checked with S3A's own request counters: no
 * object is copied or renamed after it is written; every byte is a local run's; a failed write leaves no object
 * and no pending upload; two attempts of one file give one object, the same bytes.
 */
class ObjectStoreSuite extends SparkSuiteBase {
  private var s3: S3Server = _
  private def fs: FileSystem = FileSystem.get(URI.create(s3.root), spark.sparkContext.hadoopConfiguration)

  override def beforeAll(): Unit = {
    super.beforeAll()
    s3 = S3Server.start()
    s3.configure(spark.sparkContext.hadoopConfiguration)
  }

  override def afterAll(): Unit = try {
    val c = spark.sparkContext.hadoopConfiguration
    S3Server.settingNames.foreach(c.unset)
    if (s3 != null) s3.close()
  } finally super.afterAll()

  /** Every object under `prefix`, relative, sorted. */
  private def objects(prefix: String): Seq[String] = {
    val out = ArrayBuffer[String]()
    val root = new HPath(prefix)
    if (fs.exists(root)) {
      val it = fs.listFiles(root, true)
      while (it.hasNext) out += it.next().getPath.toString.stripPrefix(prefix + "/")
    }
    out.toSeq.sorted
  }

  private def bytes(p: String): Array[Byte] = {
    val in = fs.open(new HPath(p))
    try in.readAllBytes() finally in.close()
  }

  /** No object was copied, renamed or uploaded in parts that were then left: what the protocol promises. */
  private def noCopies(c: Map[String, Long]): Unit = {
    assert(c.getOrElse("object_copy_requests", 0L) == 0 && c.getOrElse("op_rename", 0L) == 0, c)
    assert(c.getOrElse("files_copied_bytes", 0L) == 0, c)
  }

  private val cases = Seq(
    ("parquet", "jobs/smoke.yaml", Seq("--format", "parquet", "--shard-size", "1KiB")),
    ("arrow", "jobs/smoke.yaml", Seq("--format", "arrow", "--shard-size", "1KiB")),
    ("safetensors in 7 files", "jobs/smoke.yaml", Seq("--format", "safetensors", "--max-shard-size", "4kB",
      "--shard-size", "1KiB")),
    ("a model config (safetensors, config.json)", "src/test/resources/models/gpt2.json", Seq()))

  for ((label, job, args) <- cases) test(s"$label to s3a://: a local run's bytes, verified there; no object copied or renamed") {
    val name = label.replaceAll("[^a-z0-9]+", "-")
    val local = dir(s"local-$name")
    assert(cli(Seq("generate", job, "--out", local.toString) ++ args: _*).code == 0)
    val out = s"${s3.root}/$name"
    val c = S3Server.countersDuring(fs) {
      val r = cli(Seq("generate", job, "--out", out) ++ args: _*)
      assert(r.code == 0, r.err)
    }
    noCopies(c)
    info(s"requests: ${c.filter(_._1.startsWith("object_")).toSeq.sorted.mkString(", ")}")
    assert(objects(out) == listFiles(local), "stray or missing objects")
    for (f <- listFiles(local)) assert(java.util.Arrays.equals(bytes(s"$out/$f"), Files.readAllBytes(local.resolve(f))), f)
    val v = cli("verify", out)
    assert(v.code == 0, v.out + v.err)
  }

  test("--overwrite of a checkpoint on s3a:// is refused in one line (no atomic swap there): it stays, verified") {
    val out = s"${s3.root}/overwrite"
    assert(cli("generate", "jobs/smoke.yaml", "--out", out, "--format", "parquet", "--seed", "1").code == 0)
    val before = objects(out).map(f => f -> bytes(s"$out/$f").toSeq)
    val r = cli("generate", "jobs/smoke.yaml", "--out", out, "--format", "parquet", "--seed", "2", "--overwrite")
    assert(r.code == 2, r.err)
    assert(r.err.linesIterator.filter(_.nonEmpty).toSeq == Seq(s"shardinit: error: --out: refusing to replace the " +
      s"checkpoint in $out: an object store cannot swap it atomically, so a failed rerun would lose it; delete it " +
      "first, or write to another --out"), r.err)
    assert(objects(out).map(f => f -> bytes(s"$out/$f").toSeq) == before)
    assert(cli("verify", out).code == 0)
  }

  test("a write that fails halfway leaves no object and no pending multipart upload (the stream is aborted)") {
    val out = new HPath(s"${s3.root}/failed")
    val e = intercept[IOException](Placement.place(fs, out, "w/part-000000000000.parquet", "attempt-1", sink => {
      val o = sink.create()
      try {
        o.write(new Array[Byte](7 << 20)) // more than a multipart part, which S3A uploads on a thread of its own:
        s3.awaitParts("failed/w/part-000000000000.parquet", 1) // the failure comes once the server holds it
        throw new IOException("No space left on device")
      } finally o.close()                  // what a writer's try-with-resources does on its way out
    }))
    assert(e.getMessage.contains("cannot write") && e.getMessage.endsWith("No space left on device"), e.getMessage)
    assert(objects(out.toString).isEmpty)
    val client = s3.client()
    try assert(client.listMultipartUploads(b => b.bucket(s3.bucket)).uploads().isEmpty) finally client.close()
  }

  test("two attempts of one file (a retry, a speculative copy) leave one object with their bytes, nothing copied") {
    val out = new HPath(s"${s3.root}/attempts")
    val data = Array.tabulate[Byte](6 << 20)(i => (i * 31).toByte)
    val c = S3Server.countersDuring(fs) {
      for (a <- Seq("attempt-1", "attempt-2")) {
        val n = Placement.place(fs, out, "w/part-000000000000.parquet", a, sink => {
          val o = sink.create()
          try o.write(data) finally o.close()
        })
        assert(n == data.length)
      }
    }
    noCopies(c)
    assert(objects(out.toString) == Seq("w/part-000000000000.parquet"))
    assert(java.util.Arrays.equals(bytes(s"$out/w/part-000000000000.parquet"), data))
  }

  test("FileSink.writeWhole on s3a://: the object appears whole or not at all") {
    val dst = new HPath(s"${s3.root}/whole/manifest.json")
    intercept[IllegalStateException](FileSink.writeWhole(fs, dst, new HPath(s"${s3.root}/whole/.manifest.json.tmp"),
      o => { o.write(Array[Byte](1, 2, 3)); throw new IllegalStateException("the writer failed") }))
    assert(!fs.exists(dst) && objects(s"${s3.root}/whole").isEmpty)
    FileSink.writeWhole(fs, dst, new HPath(s"${s3.root}/whole/.manifest.json.tmp"), o => o.write(Array[Byte](1, 2, 3)))
    assert(objects(s"${s3.root}/whole") == Seq("manifest.json") && bytes(dst.toString).toSeq == Seq[Byte](1, 2, 3))
  }

  test("no credentials for s3a://: one line naming the settings (no secret), exit 2, nothing written") {
    val c = spark.sparkContext.hadoopConfiguration
    val keys = Seq("fs.s3a.access.key", "fs.s3a.secret.key")
    val saved = keys.map(k => k -> c.get(k))
    keys.foreach(c.unset)
    c.setBoolean("fs.s3a.impl.disable.cache", true) // a new S3A instance, which reads the configuration without them
    try {
      val out = s"${s3.root}/no-credentials"
      val r = cli("generate", "jobs/smoke.yaml", "--out", out)
      assert(r.code == 2, r.err)
      val lines = r.err.linesIterator.filter(_.nonEmpty).toSeq
      assert(lines == Seq(s"shardinit: error: --out: cannot use $out: no credentials for the object store: set " +
        "fs.s3a.access.key and fs.s3a.secret.key (as spark.hadoop.fs.s3a.access.key and " +
        "spark.hadoop.fs.s3a.secret.key, or in core-site.xml), or fs.s3a.aws.credentials.provider"), r.err)
      assert(!r.err.contains(S3Server.SecretKey))
    } finally {
      saved.foreach { case (k, v) => c.set(k, v) }
      c.unset("fs.s3a.impl.disable.cache")
    }
    assert(objects(s"${s3.root}/no-credentials").isEmpty)
  }
}
