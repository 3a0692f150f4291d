package dev.shardinit.task

import dev.shardinit.format.io.Fs
import dev.shardinit.format.{FileFormat, ManifestJson, ShardFiles, TensorEntry}
import dev.shardinit.init.{Dtype, Init, Initializer, Target}
import dev.shardinit.plan.{Layout, Plan}
import dev.shardinit.rng.Scratch
import dev.shardinit.spark.TestWork
import dev.shardinit.testing.{FaultyFs, Faults}
import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.Path
import org.scalatest.BeforeAndAfterEach
import org.scalatest.funsuite.AnyFunSuite

import java.nio.{ByteBuffer, ByteOrder}
import java.nio.file.{Files, Path => JPath}
import java.util.concurrent.{Executors, TimeUnit}
import scala.jdk.CollectionConverters._

/** The task side of a job without Spark: shards filled and written by a ShardWriter, streamed in chunks. */
class ShardWriterSuite extends AnyFunSuite with BeforeAndAfterEach {
  private val fs = Fs.of(new Path("file:///"), new Configuration())
  private def tmp(): JPath = TestWork.dir("ShardWriterSuite")
  private def p(j: JPath): Path = new Path(j.toUri)

  override def afterEach(): Unit = Faults.reset()

  private def init(dt: Dtype): Initializer = Init.normal(Target.of("layers.0.w", Array(37L, 6001L), dt, 42L), 0.0, 1.0)

  private def pieces(i: Initializer, s: Plan.Shard): Array[Long] =
    Layout.pieces(Layout.rowLength(i.target().shape(), i.target().numel()), s.start(), s.end())

  /** The file of shard `s` as ShardFiles writes it from a whole buffer, and the values' statistics. */
  private def reference(i: Initializer, s: Plan.Shard, format: FileFormat, at: Path): Stats = {
    val dt = i.target().dtype()
    val b = ByteBuffer.allocate(((s.end() - s.start()) * dt.bytes).toInt).order(ByteOrder.LITTLE_ENDIAN)
    val acc = new Stats.Accumulator(dt)
    ShardWriter.fill(i, s.start(), s.end(), b, acc, new Scratch())
    b.flip()
    val st = acc.result()
    val ps = pieces(i, s)
    val crc: Integer = if (format == FileFormat.PARQUET) st.crc32c else null // Arrow's metadata comes first
    ShardFiles.write(fs, at, format, dt, s.start(), ps, b, ManifestJson.fileMetadata(
      TensorEntry.of(i, null, 0, java.util.List.of()), i.target().seed(), "1", s.start(), s.end(), ps.length, crc))
    st
  }

  // Chunks of 4,104 bytes end inside rows and pages, and a shard needs more chunks than a writer has; 12,000
  // bytes; the default 4 MiB (a shard in one chunk).
  for (format <- Seq(FileFormat.PARQUET, FileFormat.ARROW); chunk <- Seq(4104, 12000, ShardWriter.CHUNK_BYTES);
       dt <- Seq(Dtype.FLOAT32, Dtype.BFLOAT16, Dtype.FLOAT64)) {
    test(s"$format $dt streamed in chunks of $chunk bytes: files and receipts equal those of whole-buffer writes") {
      val i = init(dt)
      val plan = Plan.of(java.util.List.of(i), 75000L * dt.bytes, format.extension())
      val shards = plan.tensors().get(0).shards().asScala.toSeq
      assert(shards.size >= 3)
      val d = tmp()
      val committed = new java.util.concurrent.ConcurrentLinkedQueue[Plan.Shard]()
      val written = new java.util.concurrent.atomic.AtomicLong()
      val w = new ShardWriter(fs, p(d.resolve("out")), format, "run-1-0-0-1", s => committed.add(s),
        n => written.addAndGet(n), chunk)
      val receipts = try {
        shards.foreach(s => w.submit(i, s))
        w.finish().asScala.toSeq
      } finally w.close()
      assert(committed.asScala.toSeq == shards)
      assert(written.get == i.target().numel() * dt.bytes)
      for ((s, r) <- shards.zip(receipts)) {
        val ref = d.resolve("ref-" + s.start())
        val st = reference(i, s, format, p(ref))
        val got = d.resolve("out").resolve(s.path())
        assert(java.util.Arrays.equals(Files.readAllBytes(got), Files.readAllBytes(ref)), s"shard ${s.start()}")
        assert((r.path, r.start, r.end, r.rows, r.bytes) == (s.path(), s.start(), s.end(), pieces(i, s).length,
          Files.size(got)))
        assert((r.crc32c, r.min, r.max, r.mean, r.std) == (st.crc32c, st.min, st.max, st.mean, st.std))
      }
      val names = Files.walk(d.resolve("out")).iterator().asScala.map(_.getFileName.toString).toSeq
      assert(!names.exists(n => n.startsWith(".") && n.endsWith(".tmp")), names)
    }
  }

  test("a Parquet shard whose file cannot be written: the task fails with the cause, never blocks, leaves nothing") {
    val i = init(Dtype.FLOAT32)
    val shards = Plan.of(java.util.List.of(i), 300000, ".parquet").tensors().get(0).shards().asScala
    val d = tmp()
    Files.write(d.resolve("out"), Array[Byte](1)) // a file where the output directory should be
    val w = new ShardWriter(fs, p(d.resolve("out")), FileFormat.PARQUET, "run-1-0-0-1", _ => (), _ => (), 4104)
    val e = try {
      val pool = Executors.newSingleThreadExecutor()
      // 73 chunks a shard, 4 in the pool: only chunks the stopped writer gives back let the fill go on
      val run = pool.submit(new java.util.concurrent.Callable[Throwable] {
        def call(): Throwable = try { shards.foreach(s => w.submit(i, s)); w.finish(); null }
        catch { case t: java.io.IOException => t }
      })
      try run.get(60, TimeUnit.SECONDS) finally pool.shutdown()
    } finally w.close()
    assert(e != null && e.getMessage.contains("cannot create directory"), e)
    assert(Files.list(d).iterator().asScala.map(_.getFileName.toString).toSeq == Seq("out"))
  }

  test("a failed write stops the task: no later shard is written, and the failure comes out") {
    val faulty = new FaultyFs()
    faulty.initialize(java.net.URI.create("faulty:///"), new Configuration())
    Faults.pattern = """\.part-000000000000\.parquet\..*"""
    Faults.writeLimit = 100
    val i = init(Dtype.FLOAT32)
    val shards = Plan.of(java.util.List.of(i), 300000, ".parquet").tensors().get(0).shards()
    val d = tmp()
    val committed = new java.util.concurrent.ConcurrentLinkedQueue[Plan.Shard]()
    val w = new ShardWriter(faulty, new Path("faulty://" + d.resolve("out")), FileFormat.PARQUET, "run-1-0-0-3",
      s => committed.add(s), _ => (), 4104)
    val e = try {
      intercept[java.io.IOException] {
        w.submit(i, shards.get(0))
        w.submit(i, shards.get(1)) // fails here if the first write has failed by then, else below
        w.finish()
      }
    } finally w.close()
    assert(e.getMessage.endsWith("/out/layers.0.w/part-000000000000.parquet: No space left on device"), e.getMessage)
    assert(committed.isEmpty)
    val names = Files.walk(d.resolve("out")).iterator().asScala.map(_.getFileName.toString).toSeq
    assert(!names.exists(_.startsWith("part-")) && !names.exists(_.contains(new Path(shards.get(1).path()).getName)), names)
  }

  test("a cancelled task (its thread interrupted) stops before filling, and writes nothing") {
    val i = init(Dtype.BFLOAT16)
    val s = Plan.of(java.util.List.of(i), 300000, ".parquet").tensors().get(0).shards().get(0)
    val d = tmp()
    val w = new ShardWriter(fs, p(d.resolve("out")), FileFormat.PARQUET, "run-1-0-0-7", _ => (), _ => (), 4104)
    try {
      Thread.currentThread().interrupt()
      intercept[java.io.InterruptedIOException](w.submit(i, s))
      Thread.interrupted()
      intercept[java.io.IOException](w.finish())
    } finally {
      Thread.interrupted()
      w.close()
    }
    assert(!Files.exists(d.resolve("out").resolve(s.path())))
  }

  test("chunks are made as needed, no larger than the values asked for, and reused") {
    val pool = new ChunkPool(2, 64)
    val tiny = pool.take(10)
    assert(tiny.capacity() == 16 && tiny.order() == ByteOrder.LITTLE_ENDIAN)
    val big = pool.take(1000)
    assert(big.capacity() == 64)
    pool.give(tiny)
    assert(pool.take(1000) eq tiny) // the pool makes no third chunk: it reuses what it has
    intercept[IllegalArgumentException](new ChunkPool(2, 60))
  }

  private def source(pool: ChunkPool, meta: java.util.Map[String, String] = java.util.Map.of()) =
    new ChunkStream(pool, () => meta, _ => meta, _ => ())

  test("chunk stream: a failed fill fails the writer's read with it as the cause; its file is deleted") {
    val pool = new ChunkPool(2, 64)
    val cs = source(pool)
    val first = cs.take(64)
    first.put(Array.fill[Byte](64)(1)).flip()
    assert(cs.put(first))
    val boom = new IllegalStateException("boom")
    cs.fail(boom)
    val d = tmp()
    val e = intercept[java.io.IOException] {
      ShardFiles.writeStreamed(fs, p(d.resolve("f.parquet")), FileFormat.PARQUET, Dtype.FLOAT32, 0L, Array(64L), cs)
    }
    assert(e.getMessage == "the shard's values could not be produced" && (e.getCause eq boom))
    assert(Files.list(d).count() == 0)
    cs.close()
    assert(pool.take(64) != null && pool.take(64) != null) // both chunks are free again, no wait
  }

  test("chunk stream: values that end early or run over fail the write; after close, put answers false") {
    def stream(chunks: Int, bytes: Int): ChunkStream = {
      val cs = source(new ChunkPool(4, 64), java.util.Map.of("k", "v"))
      for (_ <- 0 until chunks) {
        val c = cs.take(bytes)
        c.limit(bytes)
        c.put(Array.fill[Byte](bytes)(2)).flip()
        assert(cs.put(c))
      }
      cs.finish(Stats.of(ByteBuffer.allocate(0), Dtype.FLOAT32))
      cs
    }
    val d = tmp()
    val short = intercept[java.io.IOException] { // 96 bytes for 100 values of 4
      ShardFiles.writeStreamed(fs, p(d.resolve("a.parquet")), FileFormat.PARQUET, Dtype.FLOAT32, 0L,
        Array(60L, 40L), stream(3, 32))
    }
    assert(short.getMessage == "the shard's values ended before its pieces did")
    val over = intercept[java.io.IOException] { // 256 bytes for 60 values of 4
      ShardFiles.writeStreamed(fs, p(d.resolve("b.parquet")), FileFormat.PARQUET, Dtype.FLOAT32, 0L, Array(60L),
        stream(4, 64))
    }
    assert(over.getMessage == "the shard has more values than its pieces hold")
    assert(Files.list(d).count() == 0)
    val ok = stream(4, 64)
    ShardFiles.writeStreamed(fs, p(d.resolve("c.parquet")), FileFormat.PARQUET, Dtype.FLOAT32, 0L, Array(64L), ok)
    assert(ShardFiles.read(fs, p(d.resolve("c.parquet")), FileFormat.PARQUET).metadata().asScala == Map("k" -> "v"))
    ok.close()
    assert(!ok.put(ByteBuffer.wrap(new Array[Byte](8))))
  }

  test("temporary names are hidden and carry the attempt") {
    assert(Placement.tempPath(new Path("/o/t/part-000000000000.parquet"), "ab12-0-0-7").toString ==
      "/o/t/.part-000000000000.parquet.ab12-0-0-7.tmp")
  }
}
