package dev.shardinit.task

import dev.shardinit.init.Dtype
import org.scalatest.funsuite.AnyFunSuite

import java.nio.{ByteBuffer, ByteOrder}
import java.util.SplittableRandom
import java.util.zip.CRC32C

class StatsSuite extends AnyFunSuite {
  private def buffer(dt: Dtype, xs: Array[Double]): ByteBuffer = {
    val b = ByteBuffer.allocate(xs.length * dt.bytes).order(ByteOrder.LITTLE_ENDIAN)
    xs.indices.foreach(i => dt.put(b, i * dt.bytes, xs(i)))
    b
  }

  test("min and max are exact, mean and std match a two-pass computation, the CRC is CRC-32C of the bytes") {
    val r = new SplittableRandom(8)
    for (dt <- Dtype.values(); n <- Seq(1, 3, 4097, 10001); offset <- Seq(0.0, 1000.0)) {
      val xs = Array.fill(n)(dt.round(offset + r.nextGaussian() * 0.5))
      val b = buffer(dt, xs)
      val s = Stats.of(b, dt)
      assert(s.min == xs.min && s.max == xs.max, s"$dt $n")
      val mean = xs.sum / n
      val std = math.sqrt(xs.map(x => (x - mean) * (x - mean)).sum / n)
      assert(math.abs(s.mean - mean) <= 1e-12 * math.max(1, math.abs(mean)), s"$dt $n mean")
      assert(math.abs(s.std - std) <= 1e-9 * math.max(std, 1e-3), s"$dt $n std ${s.std} vs $std")
      val c = new CRC32C()
      c.update(b.duplicate())
      assert(s.crc32c == c.getValue.toInt)
      assert(b.position() == 0)
    }
  }

  test("the figures depend only on the values, not on the slices they were added in") {
    val r = new SplittableRandom(3)
    for (dt <- Dtype.values()) {
      val xs = Array.fill(20011)(dt.round(3.0 + r.nextGaussian()))
      val b = buffer(dt, xs)
      val whole = Stats.of(b, dt)
      for (cuts <- Seq(Seq(1, 4095, 4097, 10000), Seq(7, 7, 8190), Seq(20010))) {
        val acc = new Stats.Accumulator(dt)
        var at = 0
        for (c <- cuts :+ (xs.length - cuts.sum)) {
          acc.add(b.duplicate().position(at * dt.bytes).limit((at + c) * dt.bytes))
          at += c
        }
        val s = acc.result()
        assert((s.crc32c, s.min, s.max, s.mean, s.std) == (whole.crc32c, whole.min, whole.max, whole.mean, whole.std),
          s"$dt cuts $cuts")
      }
    }
  }

  test("a NaN makes min, max, mean and std NaN; infinities are the min and max") {
    for (dt <- Dtype.values()) {
      val withNaN = Array.tabulate(5001)(i => if (i == 2500) Double.NaN else dt.round(i * 0.001))
      val s = Stats.of(buffer(dt, withNaN), dt)
      assert(s.min.isNaN && s.max.isNaN && s.mean.isNaN && s.std.isNaN, s"$dt")
      val withInf = Array.tabulate(5001)(i => if (i == 7) Double.NegativeInfinity else if (i == 4000)
        Double.PositiveInfinity else dt.round(i * 0.001))
      val t = Stats.of(buffer(dt, withInf), dt)
      assert(t.min == Double.NegativeInfinity && t.max == Double.PositiveInfinity, s"$dt")
    }
  }

  test("an empty buffer has zero statistics") {
    val s = Stats.of(ByteBuffer.allocate(0), Dtype.FLOAT32)
    assert(s.min == 0 && s.max == 0 && s.mean == 0 && s.std == 0)
  }
}
