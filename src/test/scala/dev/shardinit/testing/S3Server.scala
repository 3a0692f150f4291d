package dev.shardinit.testing

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.FileSystem
import org.apache.hadoop.fs.statistics.IOStatisticsSupport.retrieveIOStatistics
import software.amazon.awssdk.auth.credentials.{AwsBasicCredentials, StaticCredentialsProvider}
import software.amazon.awssdk.http.apache.ApacheHttpClient
import software.amazon.awssdk.regions.Region
import software.amazon.awssdk.services.s3.S3Client

import java.io.IOException
import java.net.{HttpURLConnection, InetAddress, ServerSocket, URI}
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path, Paths}
import java.util.concurrent.TimeUnit
import java.util.concurrent.locks.LockSupport
import scala.jdk.CollectionConverters._

/**
 * An S3-compatible server for the s3a:// tests: S3Proxy (in-memory back end, fixed credentials) as a process of
 * its own, so that its Jetty and libraries stay off the test classpath. Maven copies its self-contained jar to
 * target/s3proxy/ before the tests (pom.xml); a missing jar fails the suite. The server listens on a free
 * loopback port; `start` returns once it answers HTTP and `bucket` exists. `conf` is what S3A needs to use it.
 */
final class S3Server private (process: Process, val port: Int, val bucket: String, val log: Path) extends AutoCloseable {
  val endpoint: String = s"http://127.0.0.1:$port"

  /** The root of the bucket, for paths: `s"${s3.root}/ckpt"`. */
  def root: String = s"s3a://$bucket"

  /**
   * S3A settings for this server: endpoint, path-style requests, plain HTTP, its credentials (and no other
   * credential provider, so nothing asks the instance metadata service), a region (none is looked up), the
   * smallest multipart size S3A allows (5 MiB) with uploads buffered in memory, few retries with short waits.
   * `fs.s3a.impl` needs no setting: Hadoop's core-default.xml maps s3a:// to S3AFileSystem.
   */
  def conf(): Configuration = configure(new Configuration())

  /** Adds the settings of `conf()` to a configuration (e.g. `spark.sparkContext.hadoopConfiguration`); returns it. */
  def configure(c: Configuration): Configuration = {
    S3Server.settings(endpoint).foreach { case (k, v) => c.set(k, v) }
    c
  }

  /** The same settings as Spark options (`spark.hadoop.` keys), e.g. for a shardinit process. */
  def sparkConf: Map[String, String] = S3Server.settings(endpoint).map { case (k, v) => s"spark.hadoop.$k" -> v }.toMap

  /** An AWS SDK client of this server, for what S3A does not show (pending multipart uploads, buckets). */
  def client(): S3Client = S3Server.client(endpoint)

  /** The parts the server holds of each pending multipart upload of `key`: an entry per upload. */
  def pendingParts(key: String): Seq[Int] = {
    val c = client()
    try c.listMultipartUploads(b => b.bucket(bucket).prefix(key)).uploads().asScala.toSeq.filter(_.key == key)
      .map(u => c.listParts(b => b.bucket(bucket).key(key).uploadId(u.uploadId)).parts().size)
    finally c.close()
  }

  /**
   * Waits until the server holds a pending multipart upload of `key` with at least `parts` parts: S3A uploads a
   * stream's full blocks on a thread pool of its own, so whether a part has reached the server when a write call
   * returns depends on the scheduler. A test that needs a part uploaded waits for it here, on what the server
   * holds, not for a time. Fails at the timeout.
   */
  def awaitParts(key: String, parts: Int, timeoutSeconds: Int = 60): Unit = {
    val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds.toLong)
    while (!pendingParts(key).exists(_ >= parts)) {
      if (System.nanoTime() > deadline)
        throw new AssertionError(s"no pending upload of $key with $parts part(s) within ${timeoutSeconds}s: ${pendingParts(key)}")
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)) // the interval between two looks, not a barrier
    }
  }

  override def close(): Unit = {
    process.destroy()
    if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
  }
}

object S3Server {
  val AccessKey = "shardinit-test"
  val SecretKey = "shardinit-test-secret"
  val Jar: Path = Paths.get("target", "s3proxy", "s3proxy.jar")

  /**
   * The IOStatistics counters of an S3AFileSystem or one of its streams, by name. Those worth asserting on:
   * object_put_request (single-PUT objects), object_put_request_completed (PUTs and parts), object_put_bytes,
   * multipart_upload_completed, multipart_upload_part_put, object_multipart_aborted, object_copy_requests,
   * files_copied, object_delete_request, object_bulk_delete_request, object_delete_objects, object_list_request,
   * object_metadata_request (HEAD), op_rename, op_abort. Some counters also count a duration tracker's use
   * (object_multipart_initiated and object_multipart_aborted go up by 2 per upload): compare with 0, or with
   * the figures the suite shows.
   */
  def counters(fsOrStream: AnyRef): Map[String, Long] =
    retrieveIOStatistics(fsOrStream).counters().asScala.map { case (k, v) => k -> v.longValue }.toMap

  /** The counters of `fs` that `f` changed, and by how much. Instances are cached: take a difference, not a total. */
  def countersDuring(fs: FileSystem)(f: => Any): Map[String, Long] = {
    val before = counters(fs)
    f
    counters(fs).collect { case (k, v) if v != before.getOrElse(k, 0L) => k -> (v - before.getOrElse(k, 0L)) }
  }

  /** The names of the settings `configure` sets, to take them out of a shared configuration again. */
  def settingNames: Seq[String] = settings("http://unused").map(_._1)

  private def settings(endpoint: String): Seq[(String, String)] = Seq(
    "fs.s3a.endpoint" -> endpoint,
    "fs.s3a.endpoint.region" -> "us-east-1",
    "fs.s3a.path.style.access" -> "true",
    "fs.s3a.connection.ssl.enabled" -> "false",
    "fs.s3a.aws.credentials.provider" -> "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
    "fs.s3a.access.key" -> AccessKey,
    "fs.s3a.secret.key" -> SecretKey,
    "fs.s3a.multipart.size" -> "5M",
    "fs.s3a.multipart.threshold" -> "5M",
    "fs.s3a.fast.upload.buffer" -> "bytebuffer",
    "fs.s3a.attempts.maximum" -> "1",
    "fs.s3a.retry.limit" -> "2",
    "fs.s3a.retry.interval" -> "10ms",
    "fs.s3a.retry.throttle.limit" -> "2",
    "fs.s3a.retry.throttle.interval" -> "10ms")

  private def client(endpoint: String): S3Client = S3Client.builder()
    .endpointOverride(URI.create(endpoint))
    .forcePathStyle(true)
    .region(Region.US_EAST_1)
    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(AccessKey, SecretKey)))
    .httpClientBuilder(ApacheHttpClient.builder())
    .build()

  /**
   * Starts a server with an empty bucket; its output goes to `log`, target/s3proxy/s3proxy-PORT.log. S3Proxy takes
   * its port from its settings, so the port is one that was free a moment before: should another process take it
   * in between, the server cannot bind it and is started again on another (at most three times).
   */
  def start(bucket: String = "shardinit", timeoutSeconds: Int = 60): S3Server = {
    if (!Files.isRegularFile(Jar))
      throw new IllegalStateException(s"$Jar is missing: Maven copies it before the tests (mvn process-test-resources, part of mvn test)")
    def attempt(left: Int): S3Server =
      try startOn(freePort(), bucket, timeoutSeconds)
      catch { case e: PortTaken if left > 1 => attempt(left - 1) }
    attempt(3)
  }

  /** S3Proxy ended because its port was taken. */
  private final class PortTaken(msg: String) extends IllegalStateException(msg)

  private def startOn(port: Int, bucket: String, timeoutSeconds: Int): S3Server = {
    val dir = Jar.getParent
    val props = dir.resolve(s"s3proxy-$port.properties")
    Files.write(props, Seq(
      s"s3proxy.endpoint=http://127.0.0.1:$port",
      "s3proxy.authorization=aws-v2-or-v4",
      s"s3proxy.identity=$AccessKey",
      s"s3proxy.credential=$SecretKey",
      "jclouds.provider=transient-nio2",
      s"jclouds.identity=$AccessKey",
      s"jclouds.credential=$SecretKey").asJava)
    val log = dir.resolve(s"s3proxy-$port.log")
    val java = Paths.get(System.getProperty("java.home"), "bin", "java").toString
    // C1 only and the serial collector: the server starts sooner, and its work here is light.
    val cmd = Seq(java, "-Xmx1g", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
      "-jar", Jar.toString, "--properties", props.toString)
    val process = new ProcessBuilder(cmd.asJava).redirectErrorStream(true).redirectOutput(log.toFile).start()
    val server = new S3Server(process, port, bucket, log)
    sys.addShutdownHook(if (process.isAlive) process.destroyForcibly())
    try {
      awaitAnswering(process, port, log, timeoutSeconds)
      val c = server.client()
      try c.createBucket(b => b.bucket(bucket)) finally c.close()
      server
    } catch {
      case e: Throwable => server.close(); throw e
    }
  }

  private def freePort(): Int = {
    val s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress)
    try s.getLocalPort finally s.close()
  }

  /**
   * Polls until the server has bound the port (Jetty's "Started ServerConnector ...{127.0.0.1:PORT}" in its log: so
   * that an answer from another process on the port is not taken for ours) and answers HTTP (403 to an unsigned
   * request); fails when the process ends or at the timeout.
   */
  private def awaitAnswering(process: Process, port: Int, log: Path, timeoutSeconds: Int): Unit = {
    val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds.toLong)
    def text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8)
    def tail = text.linesIterator.toSeq.takeRight(30).mkString("\n")
    val bound = s"127.0.0.1:$port}"
    while (true) {
      if (!process.isAlive) {
        val t = tail
        if (t.contains("Address already in use")) throw new PortTaken(s"s3proxy could not bind port $port:\n$t")
        throw new IllegalStateException(s"s3proxy ended (exit ${process.exitValue()}):\n$t")
      }
      if (System.nanoTime() > deadline) throw new IllegalStateException(s"s3proxy not answering within ${timeoutSeconds}s:\n$tail")
      if (!text.linesIterator.exists(l => l.contains("Started") && l.contains("ServerConnector") && l.contains(bound))) {
        process.waitFor(20, TimeUnit.MILLISECONDS)
      } else {
        val c = URI.create(s"http://127.0.0.1:$port/").toURL.openConnection().asInstanceOf[HttpURLConnection]
        c.setConnectTimeout(1000)
        c.setReadTimeout(5000)
        try { c.getResponseCode; return }
        catch { case _: IOException => process.waitFor(20, TimeUnit.MILLISECONDS) }
        finally c.disconnect()
      }
    }
  }
}
