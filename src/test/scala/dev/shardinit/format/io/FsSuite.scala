package dev.shardinit.format.io

import dev.shardinit.spark.TestWork

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileAlreadyExistsException, ParentNotDirectoryException, Path}
import org.scalatest.funsuite.AnyFunSuite

import java.nio.charset.StandardCharsets
import java.nio.file.attribute.PosixFilePermissions
import java.nio.file.{Files, Path => JPath}
import scala.jdk.CollectionConverters._

/** The local file system the jobs write through (LocalFs) and the listing of files a manifest does not name. */
class FsSuite extends AnyFunSuite {
  private val fs = Fs.of(new Path("file:///"), new Configuration())
  private def tmp(): JPath = TestWork.dir("FsSuite")
  private def p(j: JPath): Path = new Path(j.toUri)

  test("local paths get the process-free local file system, without .crc side files") {
    assert(fs.isInstanceOf[LocalFs])
    val d = tmp()
    val out = fs.create(p(d.resolve("a/b/file")), false, 4096)
    out.write("hello".getBytes(StandardCharsets.UTF_8))
    out.close()
    assert(new String(Files.readAllBytes(d.resolve("a/b/file")), StandardCharsets.UTF_8) == "hello")
    assert(Files.list(d.resolve("a/b")).iterator().asScala.map(_.getFileName.toString).toSeq == Seq("file"))
  }

  test("its streams take byte arrays and (direct) ByteBuffers in any mix, in order") {
    val d = tmp()
    val out = fs.create(p(d.resolve("mixed")), false, 8)
    val ch = out.getWrappedStream.asInstanceOf[java.nio.channels.WritableByteChannel]
    val big = Array.tabulate[Byte](1000)(i => (i * 7).toByte)
    out.write(1)
    out.write(Array[Byte](2, 3), 0, 2)
    val direct = java.nio.ByteBuffer.allocateDirect(300)
    direct.put(big, 0, 300).flip()
    assert(ch.write(direct) == 300 && !direct.hasRemaining)
    out.write(big, 300, 700)
    out.write(Array[Byte](9, 9, 9, 4), 3, 1)
    out.close()
    assert(Files.readAllBytes(d.resolve("mixed")).toSeq == (Seq[Byte](1, 2, 3) ++ big.toSeq :+ 4.toByte))
  }

  test("create refuses an existing file unless overwriting, and replaces it when overwriting") {
    val d = tmp()
    val f = p(d.resolve("f"))
    fs.create(f, false, 4096).close()
    val e = intercept[FileAlreadyExistsException](fs.create(f, false, 4096))
    assert(e.getMessage.contains("already exists"))
    val out = fs.create(f, true, 4096)
    out.write(7)
    out.close()
    assert(Files.readAllBytes(d.resolve("f")).toSeq == Seq(7.toByte))
  }

  test("mkdirs creates parents, accepts an existing directory, and refuses a path through a file") {
    val d = tmp()
    assert(fs.mkdirs(p(d.resolve("x/y/z"))) && Files.isDirectory(d.resolve("x/y/z")))
    assert(fs.mkdirs(p(d.resolve("x/y"))))
    Files.write(d.resolve("file"), Array[Byte](1))
    intercept[ParentNotDirectoryException](fs.mkdirs(p(d.resolve("file"))))
    intercept[java.io.IOException](fs.create(p(d.resolve("file/child")), false, 4096))
  }

  test("new files and directories get the permissions a local program's get") {
    val d = tmp()
    fs.create(p(d.resolve("dir/f")), false, 4096).close()
    Files.createDirectory(d.resolve("ref-dir"))
    Files.createFile(d.resolve("ref-dir/f"))
    def perms(x: JPath) = PosixFilePermissions.toString(Files.getPosixFilePermissions(x))
    assert(perms(d.resolve("dir")) == perms(d.resolve("ref-dir")))
    assert(perms(d.resolve("dir/f")) == perms(d.resolve("ref-dir/f")))
  }

  test("filesNotIn lists the unnamed files below a directory, relative, directories excluded") {
    val d = tmp()
    for (f <- Seq("manifest.json", "t/part-0.parquet", "t/.part-1.parquet.attempt-1.tmp", "u/v/w")) {
      Files.createDirectories(d.resolve(f).getParent)
      Files.write(d.resolve(f), Array[Byte](1))
    }
    Files.createDirectories(d.resolve("empty"))
    val found = Fs.filesNotIn(fs, p(d), Set("manifest.json", "t/part-0.parquet").asJava).asScala.sorted
    assert(found == Seq("t/.part-1.parquet.attempt-1.tmp", "u/v/w"))
  }
}
