package dev.shardinit.cli

import dev.shardinit.spark.TestWork
import org.scalatest.funsuite.AnyFunSuite

import java.io.{ByteArrayOutputStream, PrintStream}
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path, Paths}
import scala.jdk.CollectionConverters._

/**
 * A corpus of hostile job specs (src/test/resources/hostile-specs): each file says, in `# expect:` comment lines,
 * the error lines `plan` and `generate` must print (after the file name), and in `# lines:` how many error lines
 * there are when more than the expected ones. Each must exit 2, print nothing on stdout and create nothing.
 */
class HostileSpecSuite extends AnyFunSuite {
  private val corpus = Paths.get("src/test/resources/hostile-specs")
  private lazy val work: Path = TestWork.dir("HostileSpecSuite")

  private def run(args: String*): (Int, String, String) = {
    val out = new ByteArrayOutputStream()
    val err = new ByteArrayOutputStream()
    val code = Main.run(args.toArray, new PrintStream(out, true, "UTF-8"), new PrintStream(err, true, "UTF-8"))
    (code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8))
  }

  private val specs = Files.list(corpus).iterator().asScala.toSeq.sortBy(_.getFileName.toString)

  test("the corpus is there") {
    assert(specs.size >= 25)
  }

  for (spec <- specs) test(s"hostile spec ${spec.getFileName}: plan and generate exit 2 with its errors, writing nothing") {
    val header = Files.readAllLines(spec).asScala.takeWhile(_.startsWith("#"))
    val expected = header.filter(_.startsWith("# expect: ")).map(_.stripPrefix("# expect: "))
    val lines = header.find(_.startsWith("# lines: ")).map(_.stripPrefix("# lines: ").toInt).getOrElse(expected.size)
    assert(expected.nonEmpty, s"$spec has no '# expect:' line")
    for (cmd <- Seq("plan", "generate")) {
      val out = work.resolve(s"${spec.getFileName}-$cmd")
      val args = if (cmd == "plan") Seq("plan", spec.toString) else Seq("generate", spec.toString, "--out", out.toString)
      val (code, stdout, stderr) = run(args: _*)
      assert(code == 2, s"$cmd exit $code: $stderr")
      assert(stdout.isEmpty, stdout)
      val got = stderr.linesIterator.toSeq
      assert(got.size == lines, s"$cmd: ${got.mkString("\n")}")
      assert(got.head.startsWith("shardinit: error: "), got.head)
      val messages = got.map(_.stripPrefix("shardinit: error: ").stripPrefix(s"$spec: "))
      for (e <- expected) assert(messages.exists(_.startsWith(e)), s"$cmd: '$e' not among:\n${messages.mkString("\n")}")
      assert(got.forall(_.length < 400), "an error line is longer than 400 characters")
      assert(!Files.exists(out), s"$out was created")
    }
  }
}
