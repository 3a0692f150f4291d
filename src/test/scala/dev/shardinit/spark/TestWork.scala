package dev.shardinit.spark

import java.nio.file.{Files, Path}

/** Fresh directories for tests under target/test-work (what `mvn clean` removes). */
object TestWork {
  def dir(prefix: String): Path = {
    val base = new java.io.File("target/test-work").getAbsoluteFile
    base.mkdirs()
    Files.createTempDirectory(base.toPath, prefix)
  }
}
