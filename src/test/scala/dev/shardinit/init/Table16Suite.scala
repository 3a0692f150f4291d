package dev.shardinit.init

import dev.shardinit.rng.{Sampler, Sampler16, Scratch, Table16Sampler}
import org.scalatest.funsuite.AnyFunSuite

import java.util.SplittableRandom
import scala.jdk.CollectionConverters._

/**
 * The bfloat16/float16 table fast path (Table16Sampler) gives exactly the bits of the float64 value rounded:
 * at both ends and inside every pure bucket, and over long ranges through the public fill.
 */
class Table16Suite extends AnyFunSuite {
  private val cases: Seq[(String, Map[String, Any])] = Seq(
    ("normal_", Map("std" -> 0.02)),
    ("normal_", Map("mean" -> 1.0, "std" -> 0.5)),
    ("normal_", Map("mean" -> -3.0e-3, "std" -> 1.0e-4)),
    ("uniform_", Map("a" -> -0.1, "b" -> 0.1)),
    ("uniform_", Map("a" -> 2.0, "b" -> 3.0)),
    ("trunc_normal_", Map("std" -> 0.02, "a" -> -0.04, "b" -> 0.04)),
    ("trunc_normal_", Map("mean" -> 0.5, "std" -> 1.0, "a" -> 2.0, "b" -> 3.0)),
    ("kaiming_uniform_", Map("a" -> math.sqrt(5.0))),
    ("kaiming_normal_", Map("nonlinearity" -> "relu")),
    ("xavier_normal_", Map()))

  private def table(fn: String, args: Map[String, Any], dt: Dtype): Table16Sampler = {
    val init = ByName.resolve(Target.of("t", Array(4096L, 1024L), dt, 7L), fn, args.asJava)
    init.sampler() match {
      case t: Table16Sampler => t
      case other => fail(s"$fn in $dt has no table: $other")
    }
  }

  for (dt <- Seq(Dtype.BFLOAT16, Dtype.FLOAT16); (fn, args) <- cases) {
    test(s"$fn$args in $dt: every pure bucket's table entry equals the exact bits at its ends and inside") {
      val t = table(fn, args, dt)
      val rnd = new SplittableRandom(11)
      val perBucket = 12
      val words = new Array[Int](Sampler.CHUNK)
      val exact = new Array[Int](Sampler.CHUNK)
      var pure = 0
      var checked = 0L
      var b = 0
      while (b < 65536) {
        // a batch of buckets: first, second, last-but-one, last word, and random words inside
        var n = 0
        val first = b
        while (b < 65536 && n + perBucket <= words.length) {
          val base = b << 16
          words(n) = base; words(n + 1) = base | 1; words(n + 2) = base | 0xFFFE; words(n + 3) = base | 0xFFFF
          for (i <- 4 until perBucket) words(n + i) = base | rnd.nextInt(1 << 16)
          n += perBucket
          b += 1
        }
        t.exactBits(words, n, exact)
        for (i <- 0 until n) {
          val tb = t.tableBits(words(i))
          if (tb >= 0) {
            assert(tb == exact(i), f"word 0x${words(i)}%08x (bucket ${first + i / perBucket}): table " +
              f"0x$tb%04x, exact 0x${exact(i)}%04x")
            checked += 1
          }
        }
      }
      for (bk <- 0 until 65536 if t.tableBits(bk << 16) >= 0) pure += 1
      assert(pure.toDouble / 65536 == 1.0 - t.mixedFraction())
      assert(checked == pure.toLong * perBucket)
    }
  }

  test("bfloat16 normal_(std=0.02): at most 8 % of buckets are mixed (what makes the table pay)") {
    val f = table("normal_", Map("std" -> 0.02), Dtype.BFLOAT16).mixedFraction()
    assert(f > 0.0 && f < 0.08, s"mixed fraction $f")
  }

  test("sample16 equals sample + bits16 over long ranges at random offsets, chunk ends included") {
    val rnd = new SplittableRandom(5)
    for (dt <- Seq(Dtype.BFLOAT16, Dtype.FLOAT16); (fn, args) <- cases) {
      val t: Sampler16 = table(fn, args, dt)
      val v = new Array[Double](Sampler.CHUNK)
      val h = new Array[Short](Sampler.CHUNK)
      val s = new Scratch()
      for (_ <- 0 until 40) {
        val start = rnd.nextLong(4096L * 1024 - Sampler.CHUNK)
        val n = 1 + rnd.nextInt(Sampler.CHUNK)
        t.sample(start, n, v, s)
        t.sample16(start, n, h, s)
        for (k <- 0 until n) {
          assert((h(k) & 0xFFFF) == (dt.bits16(v(k)) & 0xFFFF), s"$fn $dt element ${start + k}")
        }
      }
    }
  }

  test("float32 and float64 tensors, and samplers with no inversion, keep the plain path") {
    assert(!ByName.resolve(Target.of("t", Array(64L, 64L), Dtype.FLOAT32, 1L), "normal_", Map[String, Any]().asJava)
      .sampler().isInstanceOf[Sampler16])
    assert(!ByName.resolve(Target.of("t", Array(64L, 64L), Dtype.FLOAT64, 1L), "uniform_", Map[String, Any]().asJava)
      .sampler().isInstanceOf[Sampler16])
    assert(!ByName.resolve(Target.of("t", Array(64L, 64L), Dtype.BFLOAT16, 1L), "sparse_",
      Map[String, Any]("sparsity" -> 0.5).asJava).sampler().isInstanceOf[Sampler16])
  }
}
