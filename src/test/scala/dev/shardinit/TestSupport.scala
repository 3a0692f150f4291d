package dev.shardinit

import dev.shardinit.init.{Dtype, Initializer}
import org.apache.commons.math3.distribution.RealDistribution

import java.nio.{ByteBuffer, ByteOrder}

/** Shared helpers of the suites: decoding filled tensors and the Kolmogorov–Smirnov statistic. */
object TestSupport {

  /** The whole tensor, decoded to doubles. */
  def values(init: Initializer): Array[Double] = decode(init.fillAll(), init.target.dtype)

  /** Elements [start, end), decoded. */
  def values(init: Initializer, start: Long, end: Long): Array[Double] = {
    val dt = init.target.dtype
    val b = ByteBuffer.allocate(((end - start) * dt.bytes).toInt).order(ByteOrder.LITTLE_ENDIAN)
    init.fill(start, end, b)
    b.flip()
    decode(b, dt)
  }

  def decode(b: ByteBuffer, dt: Dtype): Array[Double] = {
    val le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN)
    Array.tabulate(le.remaining() / dt.bytes)(i => dt.get(le, le.position() + i * dt.bytes))
  }

  def bytes(b: ByteBuffer): Array[Byte] = {
    val d = b.duplicate()
    val a = new Array[Byte](d.remaining())
    d.get(a)
    a
  }

  /**
   * The Kolmogorov–Smirnov distance between the sample and `dist` rounded to `dt`: at every distinct sample
   * value v the empirical CDF just below and at v is compared with the exact CDF at the rounding boundaries
   * (midpoints to v's neighbours in dt), so a discrete dtype is tested against the discrete law it should
   * follow, and float32 against the continuous law to within half an ulp.
   */
  def ksDistance(sample: Array[Double], dist: RealDistribution, dt: Dtype): Double = {
    val s = sample.sorted
    val n = s.length.toDouble
    var d = 0.0
    var i = 0
    while (i < s.length) {
      val v = s(i)
      var j = i
      while (j < s.length && s(j) == v) j += 1
      val below = i / n
      val atOrBelow = j / n
      val up = dt.nextUp(v)
      val down = -dt.nextUp(-v)
      val fHi = dist.cumulativeProbability((v + up) / 2)
      val fLo = dist.cumulativeProbability((down + v) / 2)
      d = math.max(d, math.max(math.abs(atOrBelow - fHi), math.abs(below - fLo)))
      i = j
    }
    d
  }

  /** The KS critical distance at significance 0.001 for n samples (asymptotic: 1.949 / sqrt(n)). */
  def ksCritical(n: Int): Double = 1.949 / math.sqrt(n.toDouble)
}
