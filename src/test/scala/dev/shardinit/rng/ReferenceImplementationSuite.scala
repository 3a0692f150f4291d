package dev.shardinit.rng

import dev.shardinit.TestSupport
import dev.shardinit.init.{ByName, Dtype, Target}
import org.scalatest.funsuite.AnyFunSuite

import java.io.{BufferedReader, File, InputStreamReader, PrintWriter}
import java.nio.charset.StandardCharsets
import scala.jdk.CollectionConverters._

/**
 * docs/reference/shardinit_rng.py re-implements docs/RNG.md in Python from the document alone. This suite
 * asks it for element ranges of every initializer in every dtype and requires the Java library's bytes to be
 * identical, so the specification, the reference and the library cannot drift apart. Runs the project's
 * Python (.venv, with numpy, made by .ci/run); without it the suite fails.
 */
class ReferenceImplementationSuite extends AnyFunSuite {
  private val script = new File("docs/reference/shardinit_rng.py")

  /** The project's Python (.ci/run makes it, with numpy): a missing one fails the suite, it is not skipped. */
  private val python = new File(".venv/bin/python")

  private val cases: Seq[(String, Seq[Long], Map[String, Any])] = Seq(
    ("uniform_", Seq(7L, 9L), Map("a" -> -2.5, "b" -> 0.5)),
    ("normal_", Seq(70L), Map("mean" -> 0.1, "std" -> 3)),
    ("trunc_normal_", Seq(64L), Map("mean" -> 0.5, "std" -> 0.25, "a" -> 0.1, "b" -> 0.6)),
    ("trunc_normal_", Seq(40L), Map("a" -> 3, "b" -> 9)),
    ("trunc_normal_", Seq(20L), Map("a" -> 7, "b" -> 8)), // flipped: the cdf's continued fraction, the far tail
    ("trunc_normal_", Seq(20L), Map("a" -> -8, "b" -> -7)), // the same, not flipped
    ("trunc_normal_", Seq(30L), Map("mean" -> 0.9945, "std" -> 0.01, "a" -> 0.9925, "b" -> 0.9965)), // clamps
    ("orthogonal_", Seq(2L, 3L), Map()),
    ("constant_", Seq(3L, 5L), Map("val" -> -0.7)),
    ("ones_", Seq(9L), Map()),
    ("zeros_", Seq(9L), Map()),
    ("eye_", Seq(6L, 9L), Map()),
    ("dirac_", Seq(6L, 4L, 3L, 2L), Map("groups" -> 3)),
    ("xavier_uniform_", Seq(12L, 5L, 2L), Map("gain" -> 0.5)),
    ("xavier_normal_", Seq(10L, 6L), Map()),
    ("kaiming_uniform_", Seq(8L, 4L, 3L), Map("a" -> 0.2, "mode" -> "fan_out")),
    ("kaiming_normal_", Seq(9L, 7L), Map("nonlinearity" -> "selu")),
    ("orthogonal_", Seq(5L, 12L), Map("gain" -> 1.5)),
    ("orthogonal_", Seq(12L, 3L, 2L), Map()),
    ("sparse_", Seq(11L, 6L), Map("sparsity" -> 0.4, "std" -> 0.3)))

  private def json(v: Any): String = v match {
    case s: String => "\"" + s + "\""
    case m: Map[_, _] => m.map { case (k, x) => json(k) + ": " + json(x) }.mkString("{", ", ", "}")
    case s: Seq[_] => s.map(json).mkString("[", ", ", "]")
    case d: Double => java.lang.Double.toString(d)
    case other => other.toString
  }

  test("the Python reference written from docs/RNG.md gives the library's bits for every initializer and dtype") {
    assert(script.isFile, s"$script is missing")
    assert(python.canExecute, s"$python is missing: .ci/run creates the project's virtual environment")
    val proc = new ProcessBuilder(python.getPath, script.getPath, "batch").redirectErrorStream(true).start()
    val in = new PrintWriter(new java.io.OutputStreamWriter(proc.getOutputStream, StandardCharsets.UTF_8))
    val out = new BufferedReader(new InputStreamReader(proc.getInputStream, StandardCharsets.UTF_8))
    var compared = 0
    try {
      for ((fn, shape, kw) <- cases; dt <- Dtype.values(); seed <- Seq(0L, -77L)) {
        val name = s"ref.$fn.${shape.mkString("x")}"
        val init = ByName.resolve(Target.of(name, shape.toArray, dt, seed), fn, kw.map { case (k, v) => k -> v.asInstanceOf[AnyRef] }.asJava)
        val n = init.target.numel
        val (start, end) = if (seed == 0L) (0L, n) else (n / 3, n - 1)
        val javaBits = {
          val b = TestSupport.values(init, start, end)
          b.map(v => dt match {
            case Dtype.FLOAT32 => java.lang.Integer.toHexString(java.lang.Float.floatToRawIntBits(v.toFloat))
            case Dtype.FLOAT64 => java.lang.Long.toHexString(java.lang.Double.doubleToRawLongBits(v))
            case _ => Integer.toHexString(dt.bits16(v) & 0xFFFF)
          }).mkString(" ")
        }
        in.println(json(Map("fn" -> fn, "kwargs" -> kw, "name" -> name, "shape" -> shape, "dtype" -> dt.id,
          "seed" -> seed, "start" -> start, "end" -> end)))
        in.flush()
        val pyBits = out.readLine()
        assert(pyBits == javaBits, s"$fn $dt seed $seed [$start, $end)")
        compared += 1
      }
    } finally {
      in.close()
      proc.waitFor()
    }
    assert(compared == cases.size * 4 * 2)
  }
}
