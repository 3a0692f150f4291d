package dev.shardinit.docs

import dev.shardinit.format.ManifestReader
import dev.shardinit.spark.SparkSuiteBase
import dev.shardinit.spec.JobSpec

import java.net.URLClassLoader
import java.nio.file.{Files, Path, Paths}
import java.sql.DriverManager
import javax.tools.ToolProvider
import scala.collection.mutable.ArrayBuffer
import scala.jdk.CollectionConverters._

/**
 * Every code block of README.md and docs/ runs, in document order, against real outputs: `./shardinit` lines
 * through the command line, Python with the project's virtual environment (pyarrow, numpy; .ci/run makes it),
 * Java compiled and run, SQL in DuckDB, YAML job specs parsed, the manifest example read. Paths under /tmp and
 * the placeholder /path/to/checkpoint point into the test's work directory. Commands that cannot run inside
 * the test suite are listed, each with its reason, and the list must be exactly what the documents hold.
 */
class DocsSuite extends SparkSuiteBase {
  private case class Block(file: String, line: Int, lang: String, text: String)

  private val documents = Seq(Paths.get("README.md")) ++
    Files.list(Paths.get("docs")).iterator().asScala.filter(_.toString.endsWith(".md")).toSeq.sortBy(_.toString)

  private def blocks(doc: Path): Seq[Block] = {
    val lines = Files.readAllLines(doc).asScala.toSeq
    val out = ArrayBuffer[Block]()
    var i = 0
    while (i < lines.size) {
      if (lines(i).startsWith("```")) {
        val lang = lines(i).stripPrefix("```").trim
        val start = i
        i += 1
        val body = ArrayBuffer[String]()
        while (!lines(i).startsWith("```")) { body += lines(i); i += 1 }
        out += Block(doc.toString, start + 1, lang, body.mkString("\n"))
      }
      i += 1
    }
    out.toSeq
  }

  /** Commands the suite does not run, and why. */
  private val notRun: Seq[(String, String)] = Seq(
    "mvn -B test" -> "the suite itself: .ci/run runs exactly this",
    "mvn -B package -DskipTests" -> "builds the jar for spark-submit: a build inside the build",
    "spark-submit --class dev.shardinit.cli.Main" -> "needs a cluster and a Spark installation (issue: real clusters)",
    "bash bench/" -> "a benchmark: minutes to hours (docs/PERFORMANCE.md)",
    "python3 bench/" -> "formats benchmark output")

  private lazy val snippets: Path = Files.createDirectories(dir("docs"))

  private def localize(text: String): String =
    text.replace("/tmp/gpt2-init", snippets.resolve("gpt2-init").toString)
      .replace("/tmp/gpt2-hf", snippets.resolve("gpt2-hf").toString)
      .replace("/tmp/gpt2-arrow", snippets.resolve("gpt2-arrow").toString)
      .replace("/tmp/gpt2-safetensors", snippets.resolve("gpt2-safetensors").toString)
      .replace("/tmp/gpt2-sharded", snippets.resolve("gpt2-sharded").toString)
      .replace("/path/to/checkpoint", snippets.resolve("gpt2-init").toString)

  /** Shell words of a line: quotes respected, an unquoted # starts a comment. */
  private def words(line: String): Seq[String] = {
    val out = ArrayBuffer[String]()
    val cur = new StringBuilder
    var quote = 0.toChar
    var i = 0
    var inWord = false
    while (i < line.length) {
      val c = line.charAt(i)
      if (quote != 0) { if (c == quote) quote = 0 else cur.append(c) }
      else if (c == '\'' || c == '"') { quote = c; inWord = true }
      else if (c == '#' && !inWord) i = line.length
      else if (c.isWhitespace) { if (inWord) { out += cur.toString; cur.clear(); inWord = false } }
      else { cur.append(c); inWord = true }
      i += 1
    }
    if (inWord) out += cur.toString
    out.toSeq
  }

  private val skipped = ArrayBuffer[String]()

  private def runBash(b: Block): Unit = {
    val logical = b.text.replace("\\\n", " ").linesIterator.map(_.trim).filter(l => l.nonEmpty && !l.startsWith("#"))
    for (line <- logical) {
      val w = words(localize(line))
      if (w.head == "./shardinit") {
        val r = cli(w.tail: _*)
        assert(r.code == 0, s"${b.file}:${b.line}: `$line` exited ${r.code}: ${r.err}")
      } else {
        val reason = notRun.find { case (prefix, _) => line.startsWith(prefix) }
        assert(reason.isDefined, s"${b.file}:${b.line}: no rule runs `$line`")
        skipped += line
      }
    }
  }

  private def runPython(b: Block): Unit = {
    val python = Paths.get(".venv/bin/python")
    assert(Files.isExecutable(python), ".venv/bin/python is missing: .ci/run creates it with numpy and pyarrow")
    val script = Files.writeString(snippets.resolve(s"snippet-${b.line}.py"), localize(b.text))
    val p = new ProcessBuilder(python.toString, script.toString).redirectErrorStream(true).start()
    val output = new String(p.getInputStream.readAllBytes())
    assert(p.waitFor() == 0, s"${b.file}:${b.line}: python failed:\n$output")
  }

  private def runJava(b: Block): Unit = {
    val src = Files.createDirectories(snippets.resolve(s"java-${b.line}"))
    val name = s"Snippet${b.line}"
    val code =
      s"""import dev.shardinit.format.*; import dev.shardinit.init.*; import dev.shardinit.spec.*; import java.nio.*;
         |import java.nio.file.*;
         |import java.util.*;
         |public class $name { public static void main(String[] args) throws Exception {
         |${b.text}
         |} }""".stripMargin
    val file = Files.writeString(src.resolve(s"$name.java"), code)
    val javac = ToolProvider.getSystemJavaCompiler
    val rc = javac.run(null, null, null, "-cp", System.getProperty("java.class.path"), "-d", src.toString, file.toString)
    assert(rc == 0, s"${b.file}:${b.line}: the Java snippet does not compile")
    val loader = new URLClassLoader(Array(src.toUri.toURL), getClass.getClassLoader)
    loader.loadClass(name).getMethod("main", classOf[Array[String]]).invoke(null, Array[String]())
  }

  private def runSql(b: Block): Unit = {
    Class.forName("org.duckdb.DuckDBDriver")
    val conn = DriverManager.getConnection("jdbc:duckdb:")
    try {
      val rs = conn.createStatement().executeQuery(localize(b.text))
      assert(rs.next(), s"${b.file}:${b.line}: the query returned no rows")
    } finally conn.close()
  }

  test("every code block of README.md and docs/ runs, or is listed with its reason") {
    var count = 0
    for (doc <- documents; b <- blocks(doc)) {
      b.lang match {
        case "bash" => runBash(b)
        case "python" => runPython(b)
        case "java" => runJava(b)
        case "sql" => runSql(b)
        case "yaml" => JobSpec.parse(b.text, "doc.yaml")
        case "json" => assert(ManifestReader.read(b.text).problems().isEmpty, s"${b.file}:${b.line}")
        case "" | "text" => count -= 1 // output, trees, schemas: nothing to run
        case other => fail(s"${b.file}:${b.line}: a ```$other block: no rule runs it")
      }
      count += 1
    }
    assert(count >= 10, s"only $count blocks ran")
    for ((prefix, _) <- notRun) assert(skipped.exists(_.startsWith(prefix)), s"no document holds `$prefix` any more")
    assert(Files.readString(Paths.get(".ci/run")).linesIterator.exists(_.trim.endsWith("mvn -B -ntp test")),
      ".ci/run must run the README's test command")
  }
}
