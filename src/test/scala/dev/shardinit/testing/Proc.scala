package dev.shardinit.testing

import java.io.{BufferedReader, File, InputStreamReader}
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path, Paths}
import java.util.concurrent.{LinkedBlockingQueue, TimeUnit}
import scala.collection.mutable.ArrayBuffer
import scala.jdk.CollectionConverters._

/**
 * shardinit as a process of its own, started as the launcher starts it (`java` with the launcher's JVM options,
 * conf/spark-defaults.conf as system properties, and the test classpath, which holds the product and its
 * dependencies): for what only a real process shows (signals, kill -9, the console output of a failure, another
 * JVM's bytes). Its stderr is read line by line as it comes, so a test can wait for a line, not for a time.
 */
final class Proc private (val process: Process, tmp: Path) {
  private val lines = new LinkedBlockingQueue[Option[String]]()
  private val seen = ArrayBuffer[String]()
  private val out = new StringBuilder

  private val errReader = new Thread(() => pump(process.getErrorStream, l => lines.put(Some(l)), lines.put(None)))
  private val outReader = new Thread(() => pump(process.getInputStream, l => out.synchronized(out.append(l).append('\n')), ()))
  errReader.setDaemon(true); errReader.start()
  outReader.setDaemon(true); outReader.start()

  private def pump(in: java.io.InputStream, line: String => Unit, end: => Unit): Unit = {
    val r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))
    try Iterator.continually(r.readLine()).takeWhile(_ != null).foreach(line) finally end
  }

  /** The first stderr line (after those already seen) that matches, waiting for it; fails at the timeout or the end. */
  def awaitErr(what: String, timeoutSeconds: Long = 120)(p: String => Boolean): String = {
    val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds)
    while (true) {
      val left = deadline - System.nanoTime()
      val next = lines.poll(math.max(0L, left), TimeUnit.NANOSECONDS)
      if (next == null) throw new AssertionError(s"no stderr line $what within ${timeoutSeconds}s; seen: ${seen.mkString("\n")}")
      next match {
        case None => lines.put(None); throw new AssertionError(s"the process ended without a stderr line $what; seen: ${seen.mkString("\n")}")
        case Some(l) => seen += l; if (p(l)) return l
      }
    }
    throw new IllegalStateException
  }

  /** Sends a signal (INT, TERM, KILL). */
  def signal(name: String): Unit = {
    val k = new ProcessBuilder("kill", s"-$name", process.pid().toString).inheritIO().start()
    assert(k.waitFor() == 0, s"kill -$name failed")
  }

  /** Waits for the end; the exit code, every stderr line and stdout. */
  def finish(timeoutSeconds: Long = 180): (Int, Seq[String], String) = {
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly()
      throw new AssertionError(s"the process did not end within ${timeoutSeconds}s")
    }
    errReader.join(10000); outReader.join(10000)
    Iterator.continually(lines.poll()).takeWhile(_ != null).foreach(_.foreach(seen += _))
    (process.exitValue(), seen.toSeq, out.synchronized(out.toString))
  }

  def pid: Long = process.pid()
}

object Proc {
  private val launcherOptions = Seq(
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED")

  /** conf/spark-defaults.conf as -D options, as the launcher passes them. */
  private def defaults: Seq[String] =
    Files.readAllLines(Paths.get("conf/spark-defaults.conf")).asScala.map(_.trim)
      .filter(l => l.nonEmpty && !l.startsWith("#")).map { l =>
        val Array(k, v) = l.split("\\s+", 2)
        s"-D$k=$v"
      }.toSeq

  /**
   * Starts `shardinit args` in a new JVM; `props` become system properties (Spark and test settings), `env` its
   * environment variables. Its temporary directory (and so its log file) is `tmp`.
   */
  def start(tmp: Path, args: Seq[String], props: Map[String, String] = Map.empty,
      env: Map[String, String] = Map.empty): Proc =
    jvm(tmp, "dev.shardinit.cli.Main", args, defaults.map(_.stripPrefix("-D")).map { d =>
      val Array(k, v) = d.split("=", 2); k -> v
    }.toMap ++ props, env)

  /**
   * Starts `mainClass args` in a new JVM with the test classpath, the launcher's JVM options, `props` as system
   * properties and `env` in its environment (SPARK_LOCAL_IP 127.0.0.1 unless `env` says otherwise).
   */
  def jvm(tmp: Path, mainClass: String, args: Seq[String], props: Map[String, String] = Map.empty,
      env: Map[String, String] = Map.empty, heap: String = "1g"): Proc = {
    Files.createDirectories(tmp)
    val java = Paths.get(System.getProperty("java.home"), "bin", "java").toString
    val cmd = Seq(java, s"-Xmx$heap") ++ launcherOptions ++
      Seq(s"-Dlog4j2.configurationFile=${new File("conf/log4j2.properties").getAbsolutePath}", s"-Djava.io.tmpdir=$tmp") ++
      props.map { case (k, v) => s"-D$k=$v" } ++
      Seq("-cp", System.getProperty("java.class.path"), mainClass) ++ args
    val pb = new ProcessBuilder(cmd.asJava)
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1")
    env.foreach { case (k, v) => pb.environment().put(k, v) }
    new Proc(pb.start(), tmp)
  }

  /** A progress line that reports some bytes written or checked, but not all. */
  def midway(line: String): Boolean = {
    val m = """shardinit: \d+/\d+ (?:files|regions) \w+\s+([0-9.]+ \w+) / ([0-9.]+ \w+).*""".r
    line match {
      case m(done, total) => done != "0 B" && done != total
      case _ => false
    }
  }
}
