package dev.shardinit.init

import org.scalatest.funsuite.AnyFunSuite

import java.util.SplittableRandom

class DtypeSuite extends AnyFunSuite {
  private val p2 = (e: Int) => math.pow(2, e)

  /** Round to nearest, ties to even, characterised: the result is representable, no neighbour is closer,
   *  and on a tie the result's last significand bit is 0. */
  private def checkRne(dt: Dtype, x: Double): Unit = {
    val r = dt.round(x)
    if (r.isInfinite) {
      assert(math.abs(x) >= dt.max + (dt.max - (-dt.nextUp(-dt.max))) / 2, s"$dt overflow of $x")
      return
    }
    assert(dt.round(r) == r)
    val up = dt.nextUp(r)
    val down = -dt.nextUp(-r)
    assert(math.abs(x - r) <= math.abs(x - up) && math.abs(x - r) <= math.abs(x - down), s"$dt $x -> $r")
    if (math.abs(x - r) == math.abs(x - up) || math.abs(x - r) == math.abs(x - down)) {
      assert((dt.bits16(r) & 1) == 0, s"$dt tie $x -> $r not even")
    }
  }

  test("bfloat16 and float16 round straight from float64, to nearest, ties to even") {
    val rnd = new SplittableRandom(5)
    for (dt <- Seq(Dtype.BFLOAT16, Dtype.FLOAT16); _ <- 0 until 100000) {
      val scale = p2(rnd.nextInt(-30, 20))
      checkRne(dt, (rnd.nextDouble() * 2 - 1) * scale)
      // exact ties and near-ties between neighbours
      val v = math.min(dt.round(rnd.nextDouble() * scale), -dt.nextUp(-dt.max))
      val mid = (v + dt.nextUp(v)) / 2
      checkRne(dt, mid)
      checkRne(dt, math.nextUp(mid))
      checkRne(dt, math.nextDown(mid))
    }
  }

  test("the fast 16-bit encoding equals the definition (rint on the scaled value) everywhere") {
    val rnd = new SplittableRandom(17)
    for (dt <- Seq(Dtype.BFLOAT16, Dtype.FLOAT16); _ <- 0 until 300000) {
      val x = (rnd.nextDouble() * 2 - 1) * math.pow(2, rnd.nextInt(-140, 130))
      assert(dt.bits16(x) == dt.bits16Exact(x), s"$dt $x")
      val v = dt.round(math.abs(x))
      if (!v.isInfinite) {
        val mid = (v + dt.nextUp(v)) / 2
        for (y <- Seq(mid, -mid, math.nextUp(mid), math.nextDown(mid)) if !y.isInfinite)
          assert(dt.bits16(y) == dt.bits16Exact(y), s"$dt tie $y")
      }
    }
    for (dt <- Seq(Dtype.BFLOAT16, Dtype.FLOAT16); x <- Seq(0.0, -0.0, 1e-45, 6.0e-5, 6.1035e-5, 32767.99, 32768.0,
      65504.0, 65519.0, 65520.0, 3.38e38, 3.4e38, Double.MaxValue, Double.PositiveInfinity, Double.NegativeInfinity))
      assert(dt.bits16(x) == dt.bits16Exact(x), s"$dt $x")
  }

  test("float16 edge values") {
    val f = Dtype.FLOAT16
    assert(f.round(65504) == 65504)
    assert(f.round(65519.99) == 65504)
    assert(f.round(65520).isPosInfinity)
    assert(f.round(p2(-24)) == p2(-24))
    assert(f.round(p2(-25)) == 0.0)                      // tie to even (0)
    assert(f.round(3 * p2(-26)) == p2(-24))
    assert(f.round(3 * p2(-25)) == 2 * p2(-24))           // tie 1.5 ulp -> 2 ulp (even)
    assert(f.bits16(1.0) == 0x3C00.toShort)
    assert(f.bits16(-2.0) == 0xC000.toShort)
    assert(f.bits16(p2(-24)) == 1.toShort)
    assert(f.bits16(p2(-14)) == 0x0400.toShort)
    assert(f.bits16(p2(-14) - p2(-24)) == 0x03FF.toShort)
    assert(f.bits16(65504) == 0x7BFF.toShort)
    assert(f.bits16(1e6) == 0x7C00.toShort)
    for (b <- 0 until 0x7C00) assert(f.bits16(f.decode16(b)) == b.toShort)
  }

  test("bfloat16 edge values") {
    val b = Dtype.BFLOAT16
    assert(b.round(1 + p2(-8)) == 1.0)                    // tie, 1.0 is even
    assert(b.round(1 + 3 * p2(-8)) == 1 + p2(-6))         // tie, 1+2^-6 is even
    assert(b.round(1 + p2(-8) + p2(-40)) == 1 + p2(-7))   // just above the tie: float32 rounding first would lose this
    assert(b.bits16(1.0) == 0x3F80.toShort)
    assert(b.bits16(-0.0) == 0x8000.toShort)
    assert(b.round(p2(-133)) == p2(-133))                 // smallest subnormal
    assert(b.round(p2(-134)) == 0.0)
    assert(b.round(3.4e38).isPosInfinity)
    assert(b.round(b.max) == b.max)
    for (x <- 0 until 0x7F80) assert(b.bits16(b.decode16(x)) == x.toShort)
  }

  test("float32 rounding is Java's double-to-float conversion") {
    val rnd = new SplittableRandom(9)
    for (_ <- 0 until 10000) {
      val x = rnd.nextDouble(-1e6, 1e6)
      assert(Dtype.FLOAT32.round(x) == x.toFloat.toDouble)
    }
  }

  test("ceil and floor give the dtype values bracketing x") {
    val b = Dtype.BFLOAT16
    assert(b.ceil(1.001) == 1 + p2(-7))
    assert(b.floor(1.001) == 1.0)
    assert(b.ceil(-2.0) == -2.0)
    assert(b.floor(-1.001) == -(1 + p2(-7)))
    assert(Dtype.FLOAT16.ceil(0.0) == 0.0)
  }

  test("dtype names parse, with torch spellings, and unknown names are rejected") {
    assert(Dtype.parse("float32") == Dtype.FLOAT32)
    assert(Dtype.parse("torch.bfloat16") == Dtype.BFLOAT16)
    assert(Dtype.parse("half") == Dtype.FLOAT16)
    assert(Dtype.parse("double") == Dtype.FLOAT64)
    val e = intercept[IllegalArgumentException](Dtype.parse("int8"))
    assert(e.getMessage == "unknown dtype 'int8'; use one of float32, float64, bfloat16, float16")
  }
}
