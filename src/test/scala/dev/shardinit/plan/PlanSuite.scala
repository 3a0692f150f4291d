package dev.shardinit.plan

import dev.shardinit.init.{Dtype, Init, Initializer, Target}
import org.scalatest.funsuite.AnyFunSuite

import java.nio.ByteBuffer
import java.util.SplittableRandom
import java.util.zip.CRC32C
import scala.jdk.CollectionConverters._

class PlanSuite extends AnyFunSuite {
  private def normal(name: String, shape: Long*)(dt: Dtype = Dtype.FLOAT32): Initializer =
    Init.normal(Target.of(name, shape.map(x => x: Long).toArray, dt, 1L), 0, 1)

  test("pieces: one per row of the (shape[0], rest) view, rows split every 2^20 elements") {
    val cap = Layout.PIECE_CAP
    assert(Layout.rowLength(Array(4L, 3L, 5L), 60) == 15)
    assert(Layout.rowLength(Array(7L), 7) == 7)
    assert(Layout.rowLength(Array[Long](), 1) == 1)
    assert(Layout.pieces(15, 0, 60).toSeq == Seq(15L, 15L, 15L, 15L))
    assert(Layout.pieces(3 * cap + 5, 0, 2 * (3 * cap + 5)).toSeq == Seq(cap, cap, cap, 5L, cap, cap, cap, 5L))
    assert(Layout.pieces(3 * cap + 5, cap, 3 * cap + 5).toSeq == Seq(cap, cap, 5L))
  }

  test("shards: about the target size, on row boundaries, covering every element once; tasks pack small shards") {
    val inits = Seq(normal("big", 1000L, 256L)(), normal("bias", 256L)(), normal("norm", 256L)(), normal("tiny")())
    val plan = Plan.of(inits.asJava, 64 * 1024, ".parquet")
    val big = plan.tensors.get(0).shards.asScala
    assert(big.map(s => (s.start, s.end)) == (0L until 256000L by 16384L).map(s => (s, math.min(256000L, s + 16384L))))
    assert(big.head.path == "big/part-000000000000.parquet")
    assert(big(1).path == "big/part-000000016384.parquet")
    // the three small tensors share the last task with big's last shard
    val last = plan.tasks.asScala.last
    assert(last.shards.asScala.map(_.tensor).toSeq == Seq(0, 1, 2, 3))
    assert(plan.tasks.asScala.forall(t => t.bytes <= 64 * 1024 || t.shards.size == 1))
    assert(plan.shardCount == big.size + 3)
  }

  test("a row longer than the target is cut on piece boundaries, never below one piece") {
    val plan = Plan.of(Seq(normal("wide", 2L, 3 * Layout.PIECE_CAP + 5)()).asJava, 1, ".arrow")
    val s = plan.tensors.get(0).shards.asScala.map(s => (s.start, s.end))
    val r = 3 * Layout.PIECE_CAP + 5
    val cap = Layout.PIECE_CAP
    assert(s == Seq((0L, cap), (cap, 2 * cap), (2 * cap, 3 * cap), (3 * cap, r), (r, r + cap), (r + cap, r + 2 * cap),
      (r + 2 * cap, r + 3 * cap), (r + 3 * cap, 2 * r)))
  }

  test("the plan is deterministic and its pieces do not depend on the shard size") {
    val inits = Seq(normal("a", 37L, 1000L)(), normal("b", 5000L)(Dtype.BFLOAT16)).asJava
    def pieces(p: Plan) = p.tensors.asScala.map(t => t.shards.asScala.flatMap { s =>
      val row = Layout.rowLength(t.init.target.shape, t.init.target.numel)
      var at = s.start
      Layout.pieces(row, s.start, s.end).map { len => val o = at; at += len; (o, len) }
    })
    val ref = pieces(Plan.of(inits, 1, ".parquet"))
    for (size <- Seq(100L, 4000L, 1L << 20, 1L << 30)) assert(pieces(Plan.of(inits, size, ".parquet")) == ref)
    val a = Plan.of(inits, 4000, ".parquet")
    val b = Plan.of(inits, 4000, ".parquet")
    assert(a.tasks.asScala.map(_.shards.asScala.map(_.path)) == b.tasks.asScala.map(_.shards.asScala.map(_.path)))
  }

  test("directory names: unsafe characters replaced, collisions and the manifest's name avoided") {
    val taken = new java.util.HashSet[String](java.util.List.of("manifest.json"))
    assert(Dirs.unique("model.layers.0.weight", taken) == "model.layers.0.weight")
    assert(Dirs.unique("a/b c", taken) == "a_b_c")
    assert(Dirs.unique("a:b_c", taken) == "a_b_c~2")
    assert(Dirs.unique("..", taken) == "_.")
    assert(Dirs.unique("manifest.json", taken) == "manifest.json~2")
  }

  test("CRC-32C combination equals the checksum of the concatenation, for every split") {
    val r = new SplittableRandom(4)
    val data = Array.fill(5000)(r.nextInt().toByte)
    def crc(a: Array[Byte], from: Int, to: Int) = { val c = new CRC32C(); c.update(a, from, to - from); c.getValue.toInt }
    val whole = crc(data, 0, data.length)
    for (_ <- 0 until 200) {
      val cut = r.nextInt(data.length + 1)
      assert(Crc32c.combine(crc(data, 0, cut), crc(data, cut, data.length), data.length - cut) == whole)
    }
    assert(Crc32c.combine(crc(data, 0, 10), crc(data, 10, 10), 0) == crc(data, 0, 10))
  }

  test("count is the number of pieces, for ranges on piece boundaries in long and short rows") {
    val cap = Layout.PIECE_CAP
    val rnd = new SplittableRandom(5)
    for (row <- Seq(1L, 7L, cap - 1, cap, cap + 1, 3 * cap + 5); _ <- 0 until 200) {
      val numel = row * (1 + rnd.nextInt(6))
      // row starts and piece starts within rows: where boundaries can be (scanning every element took a minute)
      val candidates = (for (r <- 0L to numel / row; k <- 0L to (row + cap - 1) / cap)
        yield math.min(numel, r * row + math.min(row, k * cap))).distinct.sorted
      val bounds = candidates.filter(at => Layout.isBoundary(row, numel, at))
      val a = bounds(rnd.nextInt(bounds.size))
      val b = bounds(rnd.nextInt(bounds.size))
      val (s, e) = (math.min(a, b), math.max(a, b))
      assert(Layout.count(row, s, e) == Layout.pieces(row, s, e).length, (row, s, e))
    }
  }

  test("directory names: 255 bytes hold, 256 do not; names that differ only in case are refused") {
    assert(Dirs.of(java.util.List.of("a" * 255)).get(0) == "a" * 255)
    val long = intercept[Dirs.NameException](Dirs.of(java.util.List.of("ok", "b" * 256)))
    assert(long.tensor == 1 && long.getMessage == "its directory name would be 256 bytes long; file systems hold at most 255 (shorten the name)")
    val dup = intercept[Dirs.NameException](Dirs.of(java.util.List.of("w", "x/y", "W")))
    assert(dup.tensor == 2 && dup.getMessage.startsWith("its directory 'W' differs only in case from that of 'w'"))
    // names that sanitise to the same directory are still told apart by a suffix, as before
    assert(Dirs.of(java.util.List.of("a/b", "a:b")).asScala == Seq("a_b", "a_b~2"))
  }

  test("a plan of more than a million files is refused before its shards are made") {
    val huge = normal("w", 1L << 40)(Dtype.BFLOAT16)
    val e = intercept[Plan.TooManyFilesException](Plan.of(java.util.List.of(huge), 1024, ".parquet"))
    assert(e.getMessage == "the plan needs more than 1000000 files at a shard size of 1024 bytes; use a larger shard size")
    assert(Plan.of(java.util.List.of(huge), 1L << 30, ".parquet").shardCount() == 2048)
  }

  private def names(i: Int, n: Int): String = s"f$i-of-$n"

  test("packing: greedy in job order by bytes of values; a tensor above the maximum is alone in its file") {
    // bytes: 400, 400, 400, 2000, 100, 100 (float32); maximum 1000
    val inits = Seq(normal("a", 100L)(), normal("b", 100L)(), normal("c", 100L)(), normal("huge", 500L)(),
      normal("d", 25L)(), normal("e", 25L)())
    val files = Packing.of(inits.asJava, 1000, (i, n) => names(i, n)).asScala
    assert(files.map(_.name) == Seq("f1-of-4", "f2-of-4", "f3-of-4", "f4-of-4"))
    assert(files.map(_.tensors.asScala.map(_.intValue).toSeq) == Seq(Seq(0, 1), Seq(2), Seq(3), Seq(4, 5)))
    assert(files.map(_.bytes) == Seq(800L, 400L, 2000L, 200L))
    assert((files.head.offset(0), files.head.offset(1)) == (0L, 400L))
    // a maximum of exactly the sum keeps them together
    assert(Packing.of(inits.take(2).asJava, 800, (i, n) => names(i, n)).size == 1)
  }

  test("packing: within a file, wider elements first (job order within a width), so every tensor is aligned") {
    val inits = Seq(normal("h", 3L)(Dtype.FLOAT16), normal("s", 3L)(Dtype.FLOAT32), normal("d", 1L)(Dtype.FLOAT64),
      normal("b", 5L)(Dtype.BFLOAT16), normal("s2", 1L)(Dtype.FLOAT32))
    val f = Packing.of(inits.asJava, 1 << 20, (i, n) => names(i, n)).get(0)
    assert(f.tensors.asScala.map(_.intValue).toSeq == Seq(2, 1, 4, 0, 3))
    val offsets = (0 until 5).map(f.offset)
    assert(offsets == Seq(0L, 8L, 20L, 24L, 30L))
    assert(f.bytes == 40L)
    for (k <- 0 until 5) assert(offsets(k) % inits(f.tensors.get(k)).target().dtype().bytes() == 0)
  }

  test("a packed plan: shards are regions of their tensor's file at the tensor's offset; files ignore the shard size") {
    val inits = Seq(normal("w", 64L, 64L)(), normal("v", 16L)(Dtype.FLOAT64))
    for (shard <- Seq(256L, 4096L, 1L << 20)) {
      val plan = Plan.packed(inits.asJava, shard, 1 << 20, (i, n) => names(i, n))
      assert(plan.maxFileBytes == (1 << 20))
      for (s <- plan.tensors.get(0).shards.asScala) {
        assert(s.path == "f1-of-1" && s.dataOffset == 128 + s.start * 4)
      }
      assert(plan.tensors.get(1).shards.get(0).dataOffset == 0) // float64 first
      assert(plan.tensors.get(1).shards.get(0).path == "f1-of-1")
      assert(plan.tensors.get(0).dir == null)
    }
  }

  test("sizes as Hugging Face reads max_shard_size: decimal KB/MB/GB, binary KiB/GiB, bits in lowercase b") {
    assert(ByteSize.parseDecimal("5GB") == 5000000000L)
    assert(ByteSize.parseDecimal("5GB".toLowerCase.toUpperCase) == 5000000000L && ByteSize.parseDecimal("5gb") == 625000000L)
    assert(ByteSize.parseDecimal("100MB") == 100000000L)
    assert(ByteSize.parseDecimal("4kB") == 4000L)
    assert(ByteSize.parseDecimal("2GiB") == (2L << 30))
    assert(ByteSize.parseDecimal("1.5MiB") == (3L << 19))
    assert(ByteSize.parseDecimal("8Gb") == 1000000000L)
    assert(ByteSize.parseDecimal("12345") == 12345L)
    assert(intercept[IllegalArgumentException](ByteSize.parseDecimal("5 gigs")).getMessage.startsWith(
      "cannot parse '5 gigs'; use bytes or a number with KB, MB, GB or TB"))
    assert(intercept[IllegalArgumentException](ByteSize.parseDecimal("0")).getMessage == "size out of range: '0'")
  }
}
