package dev.shardinit.e2e

import com.fasterxml.jackson.databind.ObjectMapper
import dev.shardinit.spark.SparkSuiteBase
import dev.shardinit.testing.{Proc, Standalone}

import java.nio.file.{Files, Path, Paths}
import scala.jdk.CollectionConverters._
import scala.jdk.OptionConverters._

/**
 * shardinit on multi-process Spark clusters: `local-cluster[2,1,1024]`, a standalone master and two workers
 * whose executors are JVMs of their own (Spark's own tests run it so: SPARK_TESTING, spark.testing,
 * spark.test.home), and a standalone cluster of separate master and worker JVMs on two host addresses
 * (testing/Standalone). An executor is killed with SIGKILL while it writes, a worker is lost for good, a task
 * stalls under speculation, the driver is killed; the job must finish with a checkpoint byte-identical to a local
 * run's (or, for the driver, leave nothing that looks like one), and no temporary, partial or duplicate file.
 */
class ClusterSuite extends SparkSuiteBase {
  private val json = new ObjectMapper()
  private val job = "bench/jobs/normal-16k.yaml" // one 16384 x 16384 float32 normal_ tensor: 1 GiB

  /** The Parquet checkpoint of a local run, which every cluster run of the job in Parquet must equal (made once). */
  private lazy val localParquet: Path = {
    val local = dir("cluster-local-parquet")
    assert(cli("generate", job, "--format", "parquet", "--shard-size", "32MiB", "--out", local.toString).code == 0)
    local
  }

  /**
   * Spark starts a job once any executor has registered (standalone's default ratio is 0): on a loaded machine the
   * second may come much later, or after the job is midway. The fault tests kill an executor that must be running a
   * task of the job, so the job waits for every executor first.
   */
  private val allExecutors = Map("spark.scheduler.minRegisteredResourcesRatio" -> "1.0",
    "spark.scheduler.maxRegisteredResourcesWaitingTime" -> "300s")

  private def cluster(tmp: Path, args: Seq[String]): Proc =
    Proc.start(tmp, args, allExecutors ++ Map("spark.master" -> "local-cluster[2,1,1024]", "spark.testing" -> "true",
      "spark.test.home" -> Paths.get("").toAbsolutePath.toString),
      Map("SPARK_TESTING" -> "1", "SPARK_SCALA_VERSION" -> "2.13"))

  /**
   * The executor JVMs the process has started: its descendants running Spark's executor backend (read from
   * /proc: ProcessHandle's command line is cut short, and the executors' classpath is long).
   */
  private def executors(p: Proc): Seq[ProcessHandle] =
    ProcessHandle.of(p.pid).toScala.toSeq.flatMap(_.descendants().iterator().asScala).filter { h =>
      val cmd = Paths.get(s"/proc/${h.pid}/cmdline")
      Files.exists(cmd) && new String(Files.readAllBytes(cmd), "UTF-8").contains("CoarseGrainedExecutorBackend")
    }

  /** shardinit on a standalone cluster, as a driver in client mode (what spark-submit runs). */
  private def onStandalone(c: Standalone, tmp: Path, args: Seq[String], props: Map[String, String] = Map()): Proc =
    Proc.start(tmp, args, allExecutors ++ Map("spark.master" -> c.url, "spark.executor.memory" -> "512m",
      "spark.executor.cores" -> "1", "spark.hadoop.fs.faulty.impl" -> "dev.shardinit.testing.FaultyFs") ++ props)

  /** The job on a standalone cluster of two workers on two hosts: `body` gets the cluster and the output. */
  private def onTwoHosts(name: String)(body: (Standalone, Path) => Unit): Unit = {
    val c = Standalone.start(dir(s"$name-cluster"), Seq("127.0.0.1", "127.0.0.2"))
    try body(c, dir(name).resolve("ckpt")) finally c.close()
  }

  private val standaloneArgs = Seq("generate", job, "--shard-size", "32MiB", "--partitions", "8")

  private def sameFiles(out: Path, local: Path): Unit = {
    assert(listFiles(out) == names(out), "stray or missing files")
    assert(listFiles(out) == listFiles(local))
    for (f <- listFiles(local)) {
      assert(java.util.Arrays.equals(Files.readAllBytes(local.resolve(f)), Files.readAllBytes(out.resolve(f))), f)
    }
  }

  private def names(out: Path): Seq[String] = {
    val m = json.readTree(out.resolve("manifest.json").toFile)
    (m.get("tensors").elements().asScala.flatMap(_.get("files").elements().asScala.map(_.get("path").asText))
      .toSeq :+ "manifest.json").distinct.sorted
  }

  for ((format, extra) <- Seq("parquet" -> Seq(), "safetensors" -> Seq("--max-shard-size", "200MB"))) {
    test(s"kill -9 of an executor while it writes $format: the job finishes, every byte as a local run's, nothing stray") {
      val args = Seq("generate", job, "--format", format, "--shard-size", "32MiB") ++ extra
      val local = if (format == "parquet") localParquet else {
        val l = dir(s"cluster-local-$format")
        assert(cli(args ++ Seq("--out", l.toString): _*).code == 0)
        l
      }
      val out = dir(s"cluster-$format").resolve("ckpt")
      val p = cluster(dir(s"cluster-tmp-$format"), args ++ Seq("--out", out.toString, "--verbose"))
      p.awaitErr("midway", 300)(Proc.midway)
      val running = executors(p)
      assert(running.size == 2, s"executors: ${running.map(_.pid)}")
      assert(running.head.destroyForcibly())
      val (code, err, stdout) = p.finish(600)
      assert(code == 0, err.mkString("\n"))
      // Spark's own log (--verbose): the executor was lost with a task of ours running on it, and it was re-run
      assert(err.exists(_.contains("Lost executor")), err.mkString("\n"))
      assert(err.exists(l => l.contains("Lost task") && l.contains("ExecutorLostFailure")), err.mkString("\n"))
      assert(stdout.startsWith("wrote 1 tensors in "), stdout)
      assert(listFiles(out) == names(out), "stray or missing files")
      assert(listFiles(out) == listFiles(local))
      for (f <- listFiles(local)) {
        assert(java.util.Arrays.equals(Files.readAllBytes(local.resolve(f)), Files.readAllBytes(out.resolve(f))), f)
      }
    }
  }

  test("kill -9 of the driver mid-job: its executors stop, no manifest is left, and --overwrite rebuilds it exactly") {
    val args = Seq("generate", job, "--format", "safetensors", "--shard-size", "32MiB")
    val local = dir("cluster-driver-local")
    assert(cli(args ++ Seq("--out", local.toString): _*).code == 0)
    val out = dir("cluster-driver").resolve("ckpt")
    val p = cluster(dir("cluster-driver-tmp"), args ++ Seq("--out", out.toString))
    p.awaitErr("midway", 300)(Proc.midway)
    val running = executors(p)
    assert(running.size == 2, s"executors: ${running.map(_.pid)}")
    p.signal("KILL")
    assert(p.finish()._1 == 137)
    // the executors notice their driver is gone and exit on their own (Spark: "Driver disassociated")
    for (e <- running) e.onExit().get(120, java.util.concurrent.TimeUnit.SECONDS)
    assert(!Files.exists(out.resolve("manifest.json")))
    assert(listFiles(out).forall(n => n == ".shardinit-run" || n.matches("""\.model\.safetensors\..*\.tmp""")),
      listFiles(out))
    val again = cli(args ++ Seq("--out", out.toString, "--overwrite"): _*)
    assert(again.code == 0, again.err)
    assert(listFiles(out) == listFiles(local))
    for (f <- listFiles(local)) {
      assert(java.util.Arrays.equals(Files.readAllBytes(local.resolve(f)), Files.readAllBytes(out.resolve(f))), f)
    }
  }

  test("a worker lost for good mid-job (its machine gone: worker and executor killed): the job finishes on the other, every byte as a local run's") {
    onTwoHosts("standalone-lost") { (c, out) =>
      val p = onStandalone(c, dir("standalone-lost-tmp"), standaloneArgs ++ Seq("--out", out.toString, "--verbose"))
      p.awaitErr("midway", 300)(Proc.midway)
      c.loseWorker(c.worker(1))
      c.awaitMaster("removing the lost worker", 120)(l => l.contains("Removing worker") && l.contains("127.0.0.2"))
      val (code, err, stdout) = p.finish(600)
      assert(code == 0, err.mkString("\n"))
      assert(err.exists(_.contains("Lost executor")), err.mkString("\n"))
      assert(stdout.startsWith("wrote 1 tensors in "), stdout)
      sameFiles(out, localParquet)
    }
  }

  test("speculation on, one shard's first write hung: a copy on the other host wins, the hung attempt is killed; every byte as a local run's, no duplicate") {
    onTwoHosts("standalone-spec") { (c, out) =>
      // the shard at element 5 * 2^23 (the sixth of 32 MiB) hangs when first created, in whichever executor
      val marker = dir("standalone-spec-marker")
      val stall = "-Dshardinit.test.faulty.stallPattern=\\.part-000041943040\\.parquet\\..*\\.tmp " +
        s"-Dshardinit.test.faulty.stallMarker=$marker -Dshardinit.test.faulty.stallMillis=300000"
      val p = onStandalone(c, dir("standalone-spec-tmp"), standaloneArgs ++ Seq("--out", "faulty://" + out, "--verbose"),
        Map("spark.speculation" -> "true", "spark.speculation.interval" -> "100ms",
          "spark.speculation.quantile" -> "0.5", "spark.speculation.multiplier" -> "2",
          "spark.executor.extraJavaOptions" -> stall, "log4j2.configurationFile" ->
            Paths.get("src/test/resources/cluster-log4j2.properties").toAbsolutePath.toString))
      val (code, err, stdout) = p.finish(600)
      assert(code == 0, err.mkString("\n"))
      // Spark's log: task 5 was speculated, a copy ran, and the stalled original was killed
      val log = err.filterNot(_.startsWith("shardinit: ")).mkString("\n")
      assert(Files.exists(marker), "no file stalled")
      assert(err.exists(_.contains("as speculatable")), log)
      assert(err.exists(l => l.contains("Killing attempt 0 for task")), log)
      assert(stdout.startsWith("wrote 1 tensors in "), stdout)
      sameFiles(out, localParquet)
    }
  }
}
