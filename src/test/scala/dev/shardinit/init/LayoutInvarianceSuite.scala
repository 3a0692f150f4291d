package dev.shardinit.init

import dev.shardinit.TestSupport
import org.scalatest.funsuite.AnyFunSuite

import java.nio.{ByteBuffer, ByteOrder}
import java.util.SplittableRandom
import scala.jdk.CollectionConverters._

/** A tensor's bytes depend on the element index only: any split of the range gives the same bytes. */
class LayoutInvarianceSuite extends AnyFunSuite {
  private val cases: Seq[(String, Seq[Long], Map[String, Any])] = Seq(
    ("uniform_", Seq(37L, 29L), Map("a" -> -3, "b" -> 5)),
    ("normal_", Seq(1031L), Map("mean" -> 1, "std" -> 0.5)),
    ("trunc_normal_", Seq(31L, 33L), Map("std" -> 0.7, "a" -> -1, "b" -> 1.5)),
    ("constant_", Seq(5L, 7L, 3L), Map("val" -> 0.3)),
    ("ones_", Seq(17L), Map()),
    ("zeros_", Seq(3L, 3L), Map()),
    ("eye_", Seq(23L, 41L), Map()),
    ("dirac_", Seq(12L, 5L, 3L, 3L), Map("groups" -> 2)),
    ("xavier_uniform_", Seq(40L, 25L), Map("gain" -> 1.5)),
    ("xavier_normal_", Seq(16L, 8L, 3L), Map()),
    ("kaiming_uniform_", Seq(32L, 16L, 3L, 3L), Map("a" -> 0.1)),
    ("kaiming_normal_", Seq(64L, 17L), Map("mode" -> "fan_out", "nonlinearity" -> "relu")),
    ("orthogonal_", Seq(24L, 60L), Map("gain" -> 2)),
    ("orthogonal_", Seq(70L, 5L, 3L), Map()),
    ("sparse_", Seq(45L, 33L), Map("sparsity" -> 0.3, "std" -> 0.02)))

  private def init(fn: String, shape: Seq[Long], kw: Map[String, Any], dt: Dtype, name: String = "t", seed: Long = 11L) =
    ByName.resolve(Target.of(name, shape.toArray, dt, seed), fn, kw.map { case (k, v) => k -> v.asInstanceOf[AnyRef] }.asJava)

  test("filling whole and in random splits gives identical bytes, for every initializer and dtype") {
    val rnd = new SplittableRandom(2024)
    for ((fn, shape, kw) <- cases; dt <- Dtype.values()) {
      val i = init(fn, shape, kw, dt)
      val whole = TestSupport.bytes(i.fillAll())
      val n = i.target.numel
      for (trial <- 0 until 5) {
        val b = ByteBuffer.allocate(whole.length).order(ByteOrder.LITTLE_ENDIAN)
        var at = 0L
        while (at < n) {
          val len = math.min(n - at, 1L + rnd.nextInt(if (trial % 2 == 0) 7 else 3000))
          i.fill(at, at + len, b)
          at += len
        }
        assert(java.util.Arrays.equals(TestSupport.bytes(b.flip()), whole), s"$fn $dt trial $trial")
      }
      // single elements anywhere, in reverse order
      for (k <- (0L until n by math.max(1L, n / 50)).reverse) {
        val one = TestSupport.values(i, k, k + 1)(0)
        val all = TestSupport.decode(ByteBuffer.wrap(whole), dt)
        assert(java.lang.Double.compare(one, all(k.toInt)) == 0, s"$fn $dt element $k")
      }
    }
  }

  test("a fill across chunk boundaries at large offsets equals element-wise fills") {
    val i = init("normal_", Seq(1L << 40), Map(), Dtype.BFLOAT16)
    val start = (1L << 40) - 5000
    val big = TestSupport.values(i, start, start + 5000)
    for (k <- Seq(0, 1, 2047, 2048, 2049, 4095, 4999))
      assert(TestSupport.values(i, start + k, start + k + 1)(0) == big(k))
  }

  test("the stream depends on seed and name only: same call, same bytes; other name or seed, other bytes") {
    val a = TestSupport.bytes(init("normal_", Seq(64L), Map(), Dtype.FLOAT32).fillAll())
    val b = TestSupport.bytes(init("normal_", Seq(64L), Map(), Dtype.FLOAT32).fillAll())
    val c = TestSupport.bytes(init("normal_", Seq(64L), Map(), Dtype.FLOAT32, name = "u").fillAll())
    val d = TestSupport.bytes(init("normal_", Seq(64L), Map(), Dtype.FLOAT32, seed = 12L).fillAll())
    assert(java.util.Arrays.equals(a, b))
    assert(!java.util.Arrays.equals(a, c))
    assert(!java.util.Arrays.equals(a, d))
  }

  test("element i does not depend on the shape: a prefix of a longer tensor is the shorter tensor") {
    for (dt <- Dtype.values()) {
      val short = TestSupport.values(init("uniform_", Seq(100L), Map(), dt))
      val long = TestSupport.values(init("uniform_", Seq(10L, 100L), Map(), dt))
      assert(short.toSeq == long.take(100).toSeq)
    }
  }

  test("fill rejects ranges outside the tensor and buffers too small") {
    val i = init("normal_", Seq(10L), Map(), Dtype.FLOAT32)
    intercept[IndexOutOfBoundsException](i.fill(5, 11, ByteBuffer.allocate(64)))
    intercept[IndexOutOfBoundsException](i.fill(-1, 2, ByteBuffer.allocate(64)))
    intercept[IllegalArgumentException](i.fill(0, 10, ByteBuffer.allocate(39)))
  }
}
