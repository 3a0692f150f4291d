package dev.shardinit.e2e

import dev.shardinit.spark.SparkSuiteBase
import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileSystem, Path => HPath}
import org.apache.hadoop.hdfs.MiniDFSCluster

import java.nio.file.{Files, Path}

/**
 * Checkpoints on HDFS: an in-process MiniDFSCluster (one NameNode, two DataNodes, two replicas) that the suite
 * starts and stops.
 * Each format is written to hdfs://, read back by verify and inspect, and copied out to compare with a local run's
 * bytes; safetensors there has no positional writes, so its regions are part files assembled after the job.
 */
class HdfsSuite extends SparkSuiteBase {
  private var hdfs: MiniDFSCluster = _
  private var root: String = _

  override def beforeAll(): Unit = {
    super.beforeAll()
    val conf = new Configuration()
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir("hdfs-data").toString)
    conf.setInt("dfs.replication", 2)
    hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(2).build()
    hdfs.waitActive()
    root = hdfs.getURI.toString
    spark.sparkContext.hadoopConfiguration.setInt("dfs.replication", 2)
  }

  override def afterAll(): Unit = {
    try if (hdfs != null) hdfs.shutdown() finally super.afterAll()
  }

  private def fs: FileSystem = hdfs.getFileSystem

  /** The files below an HDFS directory, relative, and their bytes. */
  private def files(uri: String): Map[String, Array[Byte]] = {
    val base = new HPath(uri)
    val it = fs.listFiles(base, true)
    val out = Map.newBuilder[String, Array[Byte]]
    val prefix = fs.makeQualified(base).toUri.getPath + "/"
    while (it.hasNext) {
      val st = it.next()
      val in = fs.open(st.getPath)
      try out += st.getPath.toUri.getPath.stripPrefix(prefix) -> in.readAllBytes() finally in.close()
    }
    out.result()
  }

  private def local(out: Path): Map[String, Array[Byte]] =
    listFiles(out).map(f => f -> Files.readAllBytes(out.resolve(f))).toMap

  private def same(a: Map[String, Array[Byte]], b: Map[String, Array[Byte]]): Unit = {
    assert(a.keySet == b.keySet)
    for (k <- a.keys) assert(java.util.Arrays.equals(a(k), b(k)), k)
  }

  for ((format, extra) <- Seq("parquet" -> Seq("--shard-size", "1KiB"), "arrow" -> Seq("--shard-size", "1KiB"),
    "safetensors" -> Seq("--shard-size", "1KiB", "--max-shard-size", "4kB"))) {
    test(s"$format to hdfs://: the bytes of a local run, verified and inspected there") {
      val args = Seq("generate", "jobs/smoke.yaml", "--format", format) ++ extra
      val onDisk = dir(s"hdfs-local-$format")
      assert(cli(args ++ Seq("--out", onDisk.toString): _*).code == 0)
      val uri = s"$root/ckpt-$format"
      val r = cli(args ++ Seq("--out", uri): _*)
      assert(r.code == 0, r.err)
      same(files(uri), local(onDisk))
      val v = cli("verify", uri)
      assert(v.code == 0 && v.out.startsWith("verified "), v.err)
      val i = cli("inspect", uri)
      assert(i.code == 0 && i.out.contains(s"23 tensors, 4,481 parameters"), i.err)
    }
  }

  test("export on HDFS, and --overwrite there: the same files as on a local disk") {
    val src = s"$root/export-src"
    assert(cli("generate", "jobs/smoke.yaml", "--out", src, "--shard-size", "256").code == 0)
    val out = s"$root/export-out"
    val x = cli("export", src, "--to", "safetensors", "--out", out, "--max-shard-size", "4kB")
    assert(x.code == 0, x.err)
    val onDisk = dir("hdfs-export-local")
    assert(cli("generate", "jobs/smoke.yaml", "--out", onDisk.toString, "--format", "safetensors",
      "--max-shard-size", "4kB").code == 0)
    same(files(out).removed("manifest.json"), local(onDisk).removed("manifest.json"))
    val again = cli("generate", "jobs/smoke.yaml", "--out", out, "--format", "safetensors", "--max-shard-size",
      "4kB", "--overwrite")
    assert(again.code == 0, again.err)
    same(files(out), local(onDisk))
  }

  test("a DataNode stopped mid-job: the job finishes on the other, and every byte is a local run's") {
    val args = Seq("generate", "bench/jobs/normal-16k.yaml", "--dtype", "bfloat16", "--shard-size", "32MiB")
    val onDisk = dir("hdfs-dn-local")
    assert(cli(args ++ Seq("--out", onDisk.toString): _*).code == 0)
    val uri = s"$root/dn-stopped"
    val run = scala.concurrent.Future(cli(args ++ Seq("--out", uri): _*))(scala.concurrent.ExecutionContext.global)
    // once the first data files are in place (the job is under way), stop one of the two DataNodes
    val dirs = new HPath(uri)
    def placed: Int = if (!fs.exists(dirs)) 0 else {
      val it = fs.listFiles(dirs, true)
      var n = 0
      while (it.hasNext) if (it.next().getPath.getName.startsWith("part-")) n += 1
      n
    }
    val deadline = System.nanoTime() + 120e9.toLong
    while (placed < 2 && !run.isCompleted && System.nanoTime() < deadline) Thread.onSpinWait()
    assert(!run.isCompleted && placed >= 2, "the job ended before a DataNode could be stopped")
    assert(hdfs.stopDataNode(0) != null)
    val r = scala.concurrent.Await.result(run, scala.concurrent.duration.Duration(300, "s"))
    assert(r.code == 0, r.err)
    same(files(uri), local(onDisk))
  }
}
