package dev.shardinit.spark

import java.nio.file.{Files, Path}
import java.util.Comparator

/**
 * Fresh directories for tests under target/test-work, removed again: by the suite that made them when it ends
 * (SparkSuiteBase), and all of them when the test JVM exits (the suites write gigabytes in a run). Set
 * SHARDINIT_KEEP_TEST_WORK=1 to keep them for a look after a failure.
 */
object TestWork {
  private val keep = sys.env.get("SHARDINIT_KEEP_TEST_WORK").contains("1")
  private val made = new java.util.concurrent.ConcurrentLinkedQueue[Path]()
  sys.addShutdownHook(made.forEach(p => delete(p)))

  def dir(prefix: String): Path = {
    val base = new java.io.File("target/test-work").getAbsoluteFile
    base.mkdirs()
    val d = Files.createTempDirectory(base.toPath, prefix)
    made.add(d)
    d
  }

  /** Deletes a directory made here and everything below it (unless SHARDINIT_KEEP_TEST_WORK=1). */
  def delete(p: Path): Unit = if (!keep && Files.exists(p)) {
    val s = Files.walk(p)
    try s.sorted(Comparator.reverseOrder[Path]()).forEach(f => Files.deleteIfExists(f)) finally s.close()
  }
}
