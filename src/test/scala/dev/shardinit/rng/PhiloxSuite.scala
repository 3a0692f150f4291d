package dev.shardinit.rng

import org.scalatest.funsuite.AnyFunSuite

class PhiloxSuite extends AnyFunSuite {
  private def block(c: Array[Int], k: Array[Int]): Seq[String] = {
    val out = new Array[Int](4)
    Philox4x32.block(c(0), c(1), c(2), c(3), k(0), k(1), out, 0)
    out.toSeq.map(w => f"$w%08x")
  }

  private def h(s: String): Int = java.lang.Long.parseLong(s, 16).toInt

  test("Philox4x32-10 reproduces the Random123 known-answer vectors") {
    assert(block(Array(0, 0, 0, 0), Array(0, 0)) == Seq("6627e8d5", "e169c58d", "bc57ac4c", "9b00dbd8"))
    assert(block(Array(-1, -1, -1, -1), Array(-1, -1)) == Seq("408f276d", "41c83b0e", "a20bc7c6", "6d5451fd"))
    assert(block(Array(h("243f6a88"), h("85a308d3"), h("13198a2e"), h("03707344")), Array(h("a4093822"), h("299f31d0")))
      == Seq("d16cfe09", "94fdcceb", "5001e420", "24126ea1"))
  }

  test("firstWord is word 0 of the block") {
    val out = new Array[Int](4)
    Philox4x32.block(1, 2, 3, 4, 5, 6, out, 0)
    assert(Philox4x32.firstWord(1, 2, 3, 4, 5, 6) == out(0))
  }

  test("stream key derivation: SHA-256 of tag, domain, seed and name, first 16 bytes little-endian") {
    // Computed independently with Python's hashlib.
    assert(Stream.of(42L, "w", Stream.VALUES).toString == "Stream[k=2c65f450 043edbdc, s=4995102e 1f1f391c]")
  }

  test("streams differ by seed, name and domain") {
    val all = for {
      seed <- Seq(0L, 1L, -1L)
      name <- Seq("w", "w ", "W", "layer.0.weight")
      dom <- Seq(Stream.VALUES, Stream.ORTHOGONAL, Stream.SPARSE)
    } yield Stream.of(seed, name, dom).toString
    assert(all.distinct.size == all.size)
  }

  test("word w of a stream is word w % 4 of block w / 4, from any starting word") {
    val s = Stream.of(7L, "t", Stream.VALUES)
    val whole = new Array[Int](103)
    s.words(0, whole.length, whole)
    val blk = new Array[Int](4)
    for (w <- whole.indices) {
      val b = (w / 4).toLong
      Philox4x32.block(b.toInt, (b >>> 32).toInt, s.s0, s.s1, s.k0, s.k1, blk, 0)
      assert(whole(w) == blk(w % 4), s"word $w")
    }
    for (start <- 0 until 9; n <- 0 until 13) {
      val part = new Array[Int](n)
      s.words(start, n, part)
      assert(part.toSeq == whole.slice(start, start + n).toSeq, s"start $start n $n")
    }
  }

  test("the block counter carries into the high word") {
    val s = Stream.of(7L, "t", Stream.VALUES)
    val w = new Array[Int](8)
    val first = (1L << 34) - 4 // block 2^32 - 1 then block 2^32
    s.words(first, 8, w)
    val blk = new Array[Int](4)
    Philox4x32.block(0, 1, s.s0, s.s1, s.k0, s.k1, blk, 0)
    assert(w.slice(4, 8).toSeq == blk.toSeq)
    Philox4x32.block(-1, 0, s.s0, s.s1, s.k0, s.k1, blk, 0)
    assert(w.slice(0, 4).toSeq == blk.toSeq)
  }

  test("both lane layouts of the bulk rounds give the scalar block's words, counters carrying into the high word") {
    val n = 37
    val rnd = new java.util.Random(5)
    for (first <- Seq(0L, 1L, (1L << 32) - 20, -40L, rnd.nextLong())) {
      val c2 = rnd.nextInt(); val c3 = rnd.nextInt(); val k0 = rnd.nextInt(); val k1 = rnd.nextInt()
      val expected = new Array[Int](4 * n)
      for (j <- 0 until n) {
        val b = first + j
        Philox4x32.block(b.toInt, (b >>> 32).toInt, c2, c3, k0, k1, expected, 4 * j)
      }
      val wide = new Array[Int](4 * n + 3)
      Philox4x32.blocksWide(first, n, c2, c3, k0, k1, Array.fill(4)(new Array[Long](n)), wide, 3)
      val narrow = new Array[Int](4 * n + 3)
      Philox4x32.blocksNarrow(first, n, c2, c3, k0, k1, Array.fill(4)(new Array[Int](n)), narrow, 3)
      assert(wide.drop(3).toSeq == expected.toSeq, s"64-bit lanes from block $first")
      assert(narrow.drop(3).toSeq == expected.toSeq, s"32-bit lanes from block $first")
    }
  }

  test("unit conversions are exact odd multiples, strictly inside (0, 1)") {
    assert(Unit.of32(0) == math.pow(2, -33))
    assert(Unit.of32(-1) == 1 - math.pow(2, -33))
    assert(Unit.of32(Int.MinValue) == 0.5 + math.pow(2, -33))
    assert(Unit.of64(0, 0) == math.pow(2, -53))
    assert(Unit.of64(-1, -1) == 1 - math.pow(2, -53))
    // the top 52 bits of hi:lo: lo's low 12 bits do not matter, hi's top bit is the half.
    assert(Unit.of64(0xFFF, 0) == Unit.of64(0, 0))
    assert(Unit.of64(0, Int.MinValue) == 0.5 + math.pow(2, -53))
  }
}
