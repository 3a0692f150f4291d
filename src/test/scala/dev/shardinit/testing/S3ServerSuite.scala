package dev.shardinit.testing

import dev.shardinit.testing.S3Server.countersDuring
import org.apache.hadoop.fs.s3a.auth.NoAuthWithAWSException
import org.apache.hadoop.fs.{FileSystem, Path, StreamCapabilities}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

import java.net.URI
import java.nio.file.AccessDeniedException
import scala.util.Random

/**
 * The S3 test server through Hadoop's S3AFileSystem: what the s3a:// tests rely on (write, multipart upload,
 * read, list, rename, delete, aborted streams, request statistics) and what S3A does without credentials.
 */
class S3ServerSuite extends AnyFunSuite with BeforeAndAfterAll {
  private var s3: S3Server = _
  private var fs: FileSystem = _

  override def beforeAll(): Unit = {
    s3 = S3Server.start()
    fs = FileSystem.newInstance(new URI(s3.root), s3.conf())
  }

  override def afterAll(): Unit = try if (fs != null) fs.close() finally if (s3 != null) s3.close()

  private def path(p: String) = new Path(s"${s3.root}/$p")

  private def write(p: Path, bytes: Array[Byte]): Unit = {
    val out = fs.create(p)
    try out.write(bytes) finally out.close()
  }

  private def read(p: Path): Array[Byte] = {
    val in = fs.open(p)
    try in.readAllBytes() finally in.close()
  }

  /** The files below a directory, as paths relative to the bucket. */
  private def listing(dir: Path): Seq[String] = {
    val it = fs.listFiles(dir, true)
    Iterator.continually(it).takeWhile(_.hasNext).map(_.next().getPath.toUri.getPath).toSeq.sorted
  }

  test("write (one PUT, and a multipart upload), read, list, rename and delete") {
    val small = "shardinit".getBytes("UTF-8")
    val big = new Array[Byte](12 << 20) // three 5 MiB parts at most: 5 + 5 + 2
    new Random(7).nextBytes(big)
    val put = countersDuring(fs)(write(path("rw/small"), small))
    assert(put("object_put_request") == 1 && put("object_put_bytes") == small.length, put)
    val mpu = countersDuring(fs)(write(path("rw/big"), big))
    assert(mpu("multipart_upload_completed") == 1 && mpu("multipart_upload_part_put") == 3, mpu)
    assert(mpu("object_put_bytes") == big.length && !mpu.contains("object_put_request"), mpu)

    assert(read(path("rw/small")) sameElements small)
    assert(read(path("rw/big")) sameElements big)
    assert(fs.getFileStatus(path("rw/big")).getLen == big.length)
    assert(fs.listStatus(path("rw")).map(_.getPath.getName).sorted.toSeq == Seq("big", "small"))

    val renamed = countersDuring(fs)(assert(fs.rename(path("rw"), path("renamed"))))
    assert(renamed("object_copy_requests") == 2 && renamed("files_copied_bytes") == small.length + big.length, renamed)
    assert(!fs.exists(path("rw")))
    assert(listing(path("renamed")) == Seq("/renamed/big", "/renamed/small"))
    assert(read(path("renamed/big")) sameElements big)

    assert(fs.delete(path("renamed"), true))
    assert(!fs.exists(path("renamed")) && listing(path("")).isEmpty)
  }

  test("Abortable: an aborted stream leaves no object, nor a pending multipart upload, with or without a part uploaded") {
    // 1000 bytes stay in the stream's first block; 7 MiB fill a 5 MiB block, which S3A uploads as a part on a thread
    // of its own: the test waits until the server holds that part, then aborts
    for ((name, size) <- Seq("before-any-upload" -> 1000, "with-a-part-uploaded" -> (7 << 20))) {
      val key = s"aborted/$name"
      val p = path(key)
      val d = countersDuring(fs) {
        val out = fs.create(p)
        assert(out.hasCapability(StreamCapabilities.ABORTABLE_STREAM))
        out.write(new Array[Byte](size))
        if (size > (5 << 20)) {
          s3.awaitParts(key, 1)
          assert(s3.pendingParts(key) == Seq(1))
        } else assert(s3.pendingParts(key).isEmpty) // nothing has left the stream yet
        val r = out.abort()
        assert(!r.alreadyClosed() && r.anyCleanupException() == null, r)
        out.close() // a no-op after abort
      }
      // once abort returns: no object was put or completed, the upload (if any) was aborted on the server
      assert(d("op_abort") == 1 && !d.contains("object_put_request") && !d.contains("multipart_upload_completed"), d)
      if (size > (5 << 20)) assert(d.contains("object_multipart_aborted"), d)
      assert(s3.pendingParts(key).isEmpty, name)
      assert(!fs.exists(p), name)
    }
    assert(listing(path("")).isEmpty)
    val client = s3.client()
    try assert(client.listMultipartUploads(b => b.bucket(s3.bucket)).uploads().isEmpty)
    finally client.close()
  }

  test("IOStatistics: a write copies nothing; a file's rename is one COPY and one DELETE") {
    val w = countersDuring(fs)(write(path("stats/a"), new Array[Byte](10)))
    assert(!w.contains("object_copy_requests") && !w.contains("object_delete_request"), w)
    val r = countersDuring(fs)(assert(fs.rename(path("stats/a"), path("stats/b"))))
    assert(r("object_copy_requests") == 1 && r("object_delete_request") == 1 && r("op_rename") == 1, r)
    // A stream has statistics of its own.
    val out = fs.create(path("stats/c"))
    out.write(new Array[Byte](10))
    out.close()
    assert(S3Server.counters(out)("stream_write_bytes") == 10)
    assert(fs.delete(path("stats"), true))
  }

  test("no credentials: FileSystem.get succeeds, the first request fails with AccessDeniedException") {
    val conf = s3.conf()
    conf.unset("fs.s3a.access.key")
    conf.unset("fs.s3a.secret.key")
    val noKeys = FileSystem.newInstance(new URI(s3.root), conf)
    try {
      val e = intercept[AccessDeniedException](noKeys.exists(path("x")))
      assert(e.getCause.isInstanceOf[NoAuthWithAWSException])
      assert(e.getMessage == s"${s3.root}/x: org.apache.hadoop.fs.s3a.auth.NoAwsCredentialsException: " +
        "SimpleAWSCredentialsProvider: No AWS credentials in the Hadoop configuration")
    } finally noKeys.close()
  }

  test("wrong credentials: the server refuses the request (AccessDeniedException, 403)") {
    val conf = s3.conf()
    conf.set("fs.s3a.secret.key", "not-the-secret")
    val wrong = FileSystem.newInstance(new URI(s3.root), conf)
    try {
      val e = intercept[AccessDeniedException](wrong.exists(path("x")))
      assert(!e.getCause.isInstanceOf[NoAuthWithAWSException] && e.getMessage.contains("Status Code: 403"), e)
    } finally wrong.close()
  }
}
