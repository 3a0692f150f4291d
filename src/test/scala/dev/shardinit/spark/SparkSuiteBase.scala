package dev.shardinit.spark

import dev.shardinit.cli.Main
import org.apache.spark.sql.SparkSession
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

import java.io.{ByteArrayOutputStream, PrintStream}
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path}

/**
 * One local Spark session for every Spark suite of the run (created on first use, stopped at JVM exit), with
 * task retries enabled (local[2, 4]) so the fault hook's first failure is retried as on a cluster.
 */
object SharedSpark {
  lazy val spark: SparkSession = {
    val s = SparkSession.builder()
      .master("local[2,4]")
      .appName("shardinit-tests")
      .config("spark.ui.enabled", "false")
      .config("spark.driver.host", "127.0.0.1")
      .config("spark.driver.bindAddress", "127.0.0.1")
      .config("spark.sql.shuffle.partitions", "2")
      .config("spark.executor.heartbeatInterval", "1s") // as the CLI sets it (Sessions.HEARTBEAT)
      .getOrCreate()
    sys.addShutdownHook(s.stop())
    s
  }
}

abstract class SparkSuiteBase extends AnyFunSuite with BeforeAndAfterAll {
  protected lazy val spark: SparkSession = SharedSpark.spark
  private var workMade = false
  protected lazy val work: Path = { workMade = true; TestWork.dir(getClass.getSimpleName) }

  override def beforeAll(): Unit = {
    super.beforeAll()
    spark // start (or reuse) the session before the first command
  }

  /** The suite's outputs go when it ends (they reach gigabytes). */
  override def afterAll(): Unit = {
    try if (workMade) TestWork.delete(work) finally super.afterAll()
  }

  case class Run(code: Int, out: String, err: String)

  /** Runs the CLI in this JVM (it reuses the active session) and captures its output. */
  protected def cli(args: String*): Run = {
    val out = new ByteArrayOutputStream()
    val err = new ByteArrayOutputStream()
    val code = Main.run(args.toArray, new PrintStream(out, true, "UTF-8"), new PrintStream(err, true, "UTF-8"))
    Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8))
  }

  protected def dir(name: String): Path = work.resolve(name)

  /** Every regular file below `root`, relative, sorted. */
  protected def listFiles(root: Path): Seq[String] = {
    val s = Files.walk(root)
    try {
      import scala.jdk.CollectionConverters._
      s.iterator().asScala.filter(Files.isRegularFile(_)).map(p => root.relativize(p).toString).toSeq.sorted
    } finally s.close()
  }
}
