package dev.shardinit.e2e

import com.fasterxml.jackson.databind.ObjectMapper
import dev.shardinit.spark.SparkSuiteBase
import dev.shardinit.testing.Proc

import java.nio.file.{Files, Path, Paths}
import scala.jdk.CollectionConverters._
import scala.jdk.OptionConverters._

/**
 * shardinit on a multi-process Spark cluster: `local-cluster[2,1,1024]`, a standalone master and two workers
 * whose executors are JVMs of their own (Spark's own tests run it so: SPARK_TESTING, spark.testing,
 * spark.test.home). An executor is killed with SIGKILL while it writes; the job must finish with a checkpoint
 * byte-identical to a local run's, and no temporary or partial file left.
 */
class ClusterSuite extends SparkSuiteBase {
  private val json = new ObjectMapper()
  private val job = "bench/jobs/normal-16k.yaml" // one 16384 x 16384 float32 normal_ tensor: 1 GiB

  private def cluster(tmp: Path, args: Seq[String]): Proc =
    Proc.start(tmp, args, Map("spark.master" -> "local-cluster[2,1,1024]", "spark.testing" -> "true",
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

  private def names(out: Path): Seq[String] = {
    val m = json.readTree(out.resolve("manifest.json").toFile)
    (m.get("tensors").elements().asScala.flatMap(_.get("files").elements().asScala.map(_.get("path").asText))
      .toSeq :+ "manifest.json").distinct.sorted
  }

  for ((format, extra) <- Seq("parquet" -> Seq(), "safetensors" -> Seq("--max-shard-size", "200MB"))) {
    test(s"kill -9 of an executor while it writes $format: the job finishes, every byte as a local run's, nothing stray") {
      val args = Seq("generate", job, "--format", format, "--shard-size", "32MiB") ++ extra
      val local = dir(s"cluster-local-$format")
      assert(cli(args ++ Seq("--out", local.toString): _*).code == 0)
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
}
