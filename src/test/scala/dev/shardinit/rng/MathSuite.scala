package dev.shardinit.rng

import org.scalatest.funsuite.AnyFunSuite

import java.util.SplittableRandom

class MathSuite extends AnyFunSuite {
  private def relErr(got: Double, want: Double) = math.abs(got - want) / math.abs(want)

  test("quantile matches 50-digit references to 1e-15 relative (1e-13 above p = 0.99, where 1 - p loses bits)") {
    // mpmath at 60 digits for the exact binary value of each p: sqrt(2) * erfinv(2p - 1), or a root of
    // log(ncdf(x)) = log(p) in the far tail.
    val refs = Seq(
      1e-300 -> -37.047096299361199237, 1e-100 -> -21.273453560965324294, 1e-20 -> -9.2623400897984075796,
      1e-10 -> -6.3613409024040561991, 1e-05 -> -4.2648907939228246102, 0.001 -> -3.0902323061678135354,
      0.02425 -> -1.9729610513118848376, 0.075 -> -1.4395314709384559349, 0.3 -> -0.52440051270804081597,
      0.5000001 -> 2.5066282733116483012e-7, 0.7 -> 0.52440051270804065631, 0.97575 -> 1.9729610513118849594,
      0.999 -> 3.0902323061678132778, 0.9999999 -> 5.1993375822906610937)
    for ((p, z) <- refs) assert(relErr(Gaussian.quantile(p), z) < (if (p > 0.99) 1e-13 else 1e-15), s"p=$p")
    assert(Gaussian.quantile(0.0) == Double.NegativeInfinity)
    assert(Gaussian.quantile(1.0) == Double.PositiveInfinity)
  }

  test("the bulk quantile gives the scalar quantile's bits for every p, tails and edges included") {
    val r = new SplittableRandom(3)
    val edges = Array(0.0, 1.0, Double.MinPositiveValue, 1e-310, 2.2250738585072014e-308, 1e-300, 1.38e-11, 1.389e-11,
      1.3887943864964021e-11, 1.39e-11, 0.075, 0.07499999999999999, 0.925, 0.9250000000000002, 0.5, 1 - 1e-16,
      1 - 1.3887943864964021e-11, math.pow(2, -33), 1 - math.pow(2, -33), math.pow(2, -53), Double.NaN)
    for (round <- 0 until 200) {
      val n = 1 + r.nextInt(Sampler.CHUNK)
      val p = Array.tabulate(n) { _ =>
        r.nextInt(4) match {
          case 0 => edges(r.nextInt(edges.length))
          case 1 => math.pow(10, -r.nextDouble(0, 300))
          case 2 => 1 - math.pow(10, -r.nextDouble(0, 16))
          case _ => r.nextDouble()
        }
      }
      val z = new Array[Double](n)
      Gaussian.quantiles(p, z, n)
      for (k <- 0 until n) {
        val want = Gaussian.quantile(p(k))
        assert(java.lang.Double.doubleToRawLongBits(z(k)) == java.lang.Double.doubleToRawLongBits(want) || (want.isNaN && z(k).isNaN), s"p=${p(k)}")
      }
    }
  }

  test("the normal CDF matches 50-digit references to 1e-13 relative in the lower half") {
    val refs = Seq(
      -30.0 -> 4.9067139271481870595e-198, -12.0 -> 1.7764821120776789977e-33, -8.0 -> 6.2209605742717841235e-16,
      -5.0 -> 2.8665157187919391167e-7, -3.5 -> 0.00023262907903552503635, -3.0 -> 0.0013498980316300945267,
      -2.9 -> 0.0018658133003840379503, -1.0 -> 0.15865525393145705141, -0.25 -> 0.40129367431707627576,
      0.0 -> 0.5, 0.5 -> 0.69146246127401310364, 2.0 -> 0.9772498680518207928)
    for ((x, p) <- refs) assert(relErr(Gaussian.cdf(x), p) < 1e-13, s"x=$x")
    assert(Gaussian.cdf(-41) == 0.0)
  }

  test("log and exp agree with StrictMath to 2 ulps over their working ranges") {
    val r = new SplittableRandom(1)
    for (_ <- 0 until 200000) {
      val x = math.pow(2, -r.nextDouble(0, 1060)) * (1 + r.nextDouble())
      val l = DetMath.log(x)
      assert(math.abs(l - StrictMath.log(x)) <= 2 * math.ulp(StrictMath.log(x)), s"log $x")
      val y = r.nextDouble(-740, 700)
      val e = DetMath.exp(y)
      assert(math.abs(e - StrictMath.exp(y)) <= 2 * math.ulp(StrictMath.exp(y)), s"exp $y")
    }
    assert(DetMath.log(1.0) == 0.0)
    assert(DetMath.log(0.0) == Double.NegativeInfinity)
    assert(DetMath.log(-1.0).isNaN)
    assert(DetMath.exp(0.0) == 1.0)
    assert(DetMath.exp(-800) == 0.0)
  }

  test("a keyed permutation is a bijection of [0, n) for every size, and differs between columns") {
    val s = Stream.of(3L, "p", Stream.SPARSE)
    for (n <- Seq(1L, 2L, 3L, 4L, 5L, 17L, 100L, 1000L, 4097L)) {
      val p = new KeyedPermutation(s, n)
      for (col <- Seq(0L, 1L, 123456789012L)) {
        val img = (0L until n).map(x => p.apply(x, col))
        assert(img.sorted == (0L until n), s"n=$n col=$col")
      }
      if (n >= 100) {
        val a = (0L until n).map(x => p.apply(x, 0))
        val b = (0L until n).map(x => p.apply(x, 1))
        assert(a != b)
      }
    }
  }

  test("a keyed permutation handles domains near 2^63") {
    val n = Long.MaxValue
    val p = new KeyedPermutation(Stream.of(3L, "p", Stream.SPARSE), n)
    for (x <- Seq(0L, 1L, n - 1, n / 2)) {
      val y = p.apply(x, 5)
      assert(y >= 0 && y < n)
    }
    assert(KeyedPermutation.halfBits(n) == 32)
    assert(KeyedPermutation.halfBits(1) == 1)
    assert(KeyedPermutation.halfBits(5) == 2)
  }
}
