package dev.shardinit.testing

import java.nio.file.{Path, Paths}
import scala.collection.mutable.ArrayBuffer
import scala.jdk.CollectionConverters._
import scala.jdk.OptionConverters._

/**
 * A Spark standalone cluster of JVMs of their own, as bench/cluster.sh makes one, for the tests: a master, and
 * workers of one core that launch their executors as JVMs of their own, with the test classpath standing in for a
 * Spark distribution (SPARK_DIST_CLASSPATH) in Spark's testing mode. Each worker has its own host address
 * (127.0.0.1, 127.0.0.2, ...: all loopback on Linux), so Spark sees them as different machines — which
 * speculation needs, since it never runs two attempts of a task on one host.
 */
final class Standalone private (tmp: Path, master: Proc, val url: String) extends AutoCloseable {
  private val workers = ArrayBuffer[Proc]()
  private val testing = Map("spark.testing" -> "true", "spark.test.home" -> Paths.get("").toAbsolutePath.toString,
    "log4j2.configurationFile" -> Paths.get("src/test/resources/cluster-log4j2.properties").toAbsolutePath.toString)

  /** Starts a worker on `host` and waits until the master has registered it. */
  def addWorker(host: String): Proc = {
    val n = workers.size + 1
    val w = Proc.jvm(tmp.resolve(s"worker-$n"), "org.apache.spark.deploy.worker.Worker",
      Seq("--host", host, "--port", "0", "--webui-port", "0", "--cores", "1", "--memory", "1g",
        "--work-dir", tmp.resolve(s"worker-$n/work").toString, url), testing,
      Map("SPARK_DIST_CLASSPATH" -> System.getProperty("java.class.path"), "SPARK_TESTING" -> "1",
        "SPARK_SCALA_VERSION" -> "2.13", "SPARK_LOCAL_IP" -> host), heap = "256m")
    workers += w
    master.awaitErr(s"registering a worker on $host", 120)(l => l.contains("Registering worker " + host + ":"))
    w
  }

  /** The i-th worker started (0-based). */
  def worker(i: Int): Proc = workers(i)

  /** The worker's executor JVMs (its descendants running Spark's executor backend, read from /proc). */
  def executors(worker: Proc): Seq[ProcessHandle] =
    ProcessHandle.of(worker.pid).toScala.toSeq.flatMap(_.descendants().iterator().asScala).filter { h =>
      val cmd = Paths.get(s"/proc/${h.pid}/cmdline")
      java.nio.file.Files.exists(cmd) &&
        new String(java.nio.file.Files.readAllBytes(cmd), "UTF-8").contains("CoarseGrainedExecutorBackend")
    }

  /** A worker's machine gone for good: the worker and its executors killed with SIGKILL, never restarted. */
  def loseWorker(worker: Proc): Unit = {
    val family = executors(worker) :+ ProcessHandle.of(worker.pid).get
    family.foreach(_.destroyForcibly())
    family.foreach(_.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS))
  }

  /** The master's stderr lines from now on that match, waiting for one. */
  def awaitMaster(what: String, timeoutSeconds: Long = 120)(p: String => Boolean): String =
    master.awaitErr(what, timeoutSeconds)(p)

  override def close(): Unit = {
    for (w <- workers; h <- ProcessHandle.of(w.pid).toScala) {
      h.descendants().iterator().asScala.foreach(_.destroyForcibly())
      h.destroyForcibly()
    }
    ProcessHandle.of(master.pid).toScala.foreach(_.destroyForcibly())
  }
}

object Standalone {
  /** A master on 127.0.0.1 (a free port) and a worker on each of `hosts`. */
  def start(tmp: Path, hosts: Seq[String]): Standalone = {
    val master = Proc.jvm(tmp.resolve("master"), "org.apache.spark.deploy.master.Master",
      Seq("--host", "127.0.0.1", "--port", "0", "--webui-port", "0"),
      Map("spark.testing" -> "true", "log4j2.configurationFile" ->
        Paths.get("src/test/resources/cluster-log4j2.properties").toAbsolutePath.toString), heap = "256m")
    val line = master.awaitErr("naming the master's URL", 120)(_.contains("Starting Spark master at spark://"))
    val url = line.substring(line.indexOf("spark://")).trim
    val c = new Standalone(tmp, master, url)
    try hosts.foreach(c.addWorker) catch { case e: Throwable => c.close(); throw e }
    c
  }
}
