package dev.shardinit.spark

import dev.shardinit.format.{FileFormat, ManifestJson, ShardFiles, TensorEntry}
import dev.shardinit.format.io.{Fs, LocalFs}
import dev.shardinit.init.{Dtype, Init, Initializer, Target}
import dev.shardinit.plan.{Layout, Plan}
import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.Path
import org.scalatest.funsuite.AnyFunSuite

import java.nio.{ByteBuffer, ByteOrder}
import java.nio.file.{Files, Path => JPath}
import java.util.concurrent.{Executors, TimeUnit}
import scala.jdk.CollectionConverters._

/** The task side of a job without Spark: shards filled and written by a ShardWriter, Parquet streamed in chunks. */
class ShardWriterSuite extends AnyFunSuite {
  private val fs = Fs.of(new Path("file:///"), new Configuration())
  private def tmp(): JPath = TestWork.dir("ShardWriterSuite")
  private def p(j: JPath): Path = new Path(j.toUri)

  private def init(dt: Dtype): Initializer = Init.normal(Target.of("layers.0.w", Array(37L, 6001L), dt, 42L), 0.0, 1.0)

  private def pieces(i: Initializer, s: Plan.Shard): Array[Long] =
    Layout.pieces(Layout.rowLength(i.target().shape(), i.target().numel()), s.start(), s.end())

  /** The file of shard `s` as ShardFiles writes it from a whole buffer, and the values' statistics. */
  private def reference(i: Initializer, s: Plan.Shard, format: FileFormat, at: Path): Stats = {
    val dt = i.target().dtype()
    val b = ByteBuffer.allocate(((s.end() - s.start()) * dt.bytes).toInt).order(ByteOrder.LITTLE_ENDIAN)
    val st = ShardWriter.fill(i, s.start(), s.end(), b)
    val ps = pieces(i, s)
    ShardFiles.write(fs, at, format, dt, s.start(), ps,
      b, ManifestJson.fileMetadata(TensorEntry.of(i, null, 0, java.util.List.of()), i.target().seed(), "1", s.start(), s.end(),
        ps.length, st.crc32c))
    st
  }

  // Streamed: 4,104-byte chunks end inside rows and pages, and a shard needs more chunks than a writer has;
  // 12,000 bytes; the default 4 MiB (a shard in one chunk). Arrow on a file system whose streams cannot rewrite
  // bytes (Hadoop's checksummed local one) goes through whole buffers.
  private val checksummed = org.apache.hadoop.fs.FileSystem.getLocal(new Configuration())
  private val cases =
    (for (format <- FileFormat.values().toSeq; chunk <- Seq(4104, 12000, ShardWriter.CHUNK_BYTES))
      yield (format, chunk, fs)) :+ ((FileFormat.ARROW, ShardWriter.CHUNK_BYTES, checksummed))
  for ((format, chunk, wfs) <- cases; dt <- Seq(Dtype.FLOAT32, Dtype.BFLOAT16, Dtype.FLOAT64)) {
    val how = if (ShardWriter.streams(format, wfs.isInstanceOf[LocalFs])) s"streamed in chunks of $chunk bytes" else "from whole buffers"
    test(s"$format $dt $how: files and receipts equal those of whole-buffer writes") {
      val i = init(dt)
      val plan = Plan.of(java.util.List.of(i), 75000L * dt.bytes, format.extension())
      val shards = plan.tensors().get(0).shards().asScala.toSeq
      assert(shards.size >= 3)
      val d = tmp()
      val committed = new java.util.concurrent.ConcurrentLinkedQueue[Plan.Shard]()
      val w = new ShardWriter(wfs, p(d.resolve("out")), format, "attempt-1", s => committed.add(s), _ => (), chunk, null)
      val receipts = try {
        shards.foreach(s => w.submit(i, s, false))
        w.finish().asScala.toSeq
      } finally w.close()
      assert(committed.asScala.toSeq == shards)
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
      assert(!names.exists(ShardWriter.isTemp))
    }
  }

  // A borrowed core fills the back half of each chunk of two slices or more (from a slice boundary): shards of
  // 300,000 values, in one 4 MiB chunk each, or in 1 MiB chunks (float64: 2 slices, so a shard's chunks split
  // more than once; float32: its second chunk is too short to split). The bytes and the statistics must not
  // change.
  for (format <- FileFormat.values().toSeq; chunk <- Seq(1 << 20, ShardWriter.CHUNK_BYTES);
       dt <- Seq(Dtype.FLOAT32, Dtype.BFLOAT16, Dtype.FLOAT64)) {
    test(s"$format $dt in chunks of $chunk bytes, half filled on a borrowed core: files and receipts unchanged") {
      val i = Init.normal(Target.of("layers.1.w", Array(37L, 30001L), dt, 42L), 0.0, 1.0)
      val shards = Plan.of(java.util.List.of(i), 300000L * dt.bytes, format.extension()).tensors().get(0).shards()
        .asScala.toSeq
      val d = tmp()
      val helpers = new FillHelpers(2)
      val w = new ShardWriter(fs, p(d.resolve("out")), format, "attempt-1", _ => (), _ => (), chunk, helpers)
      val receipts = try {
        shards.foreach(s => w.submit(i, s, false))
        w.finish().asScala.toSeq
      } finally w.close()
      val perChunk = chunk / dt.bytes
      val splits = shards.map { s =>
        (s.start() until s.end() by perChunk).count(c => math.min(s.end() - c, perChunk) >= 2 * ShardWriter.SLICE)
      }.sum
      assert(splits >= 4 && helpers.lent() == splits)
      for ((s, r) <- shards.zip(receipts)) {
        val ref = d.resolve("ref-" + s.start())
        val st = reference(i, s, format, p(ref))
        val got = d.resolve("out").resolve(s.path())
        assert(java.util.Arrays.equals(Files.readAllBytes(got), Files.readAllBytes(ref)), s"shard ${s.start()}")
        assert((r.crc32c, r.min, r.max, r.mean, r.std) == (st.crc32c, st.min, st.max, st.mean, st.std))
      }
    }
  }

  test("cores are lent only while fewer than the executor's are busy, and come back when the work ends") {
    val h = new FillHelpers(2)
    h.enter()
    h.enter()
    assert(h.tryLend(() => ()) == null) // both cores fill for tasks
    h.exit()
    val gate = new java.util.concurrent.CountDownLatch(1)
    val lent = h.tryLend(() => gate.await())
    assert(lent != null)
    assert(h.tryLend(() => ()) == null) // the one idle core is lent out
    gate.countDown()
    lent.get(10, TimeUnit.SECONDS)
    val deadline = System.nanoTime() + 10000000000L
    var again: java.util.concurrent.Future[_] = null
    while (again == null && System.nanoTime() < deadline) again = h.tryLend(() => ()) // freed after the work ran
    assert(again != null)
    again.get(10, TimeUnit.SECONDS)
    h.exit()
    assert(h.lent() == 2)
  }

  test("streamed Arrow: final metadata of another length than the provisional fails the write, leaving no file") {
    val pool = new ChunkStream.Pool(2, 64)
    val cs = new ChunkStream(pool, crc => java.util.Map.of("k", if (crc == 0) "0" else "crc " + crc), _ => ())
    val c = cs.take()
    c.put(Array.fill[Byte](64)(3)).flip()
    val crc = Stats.of(c, Dtype.FLOAT32).crc32c
    assert(cs.put(c))
    cs.finish(Stats.of(c, Dtype.FLOAT32))
    val d = tmp()
    val e = intercept[java.io.IOException] {
      ShardFiles.writeStreamed(fs, p(d.resolve("f.arrow")), FileFormat.ARROW, Dtype.FLOAT32, 0L, Array(16L), cs)
    }
    assert(e.getMessage ==
      s"final metadata value of k is ${("crc " + crc).length} bytes in UTF-8, its provisional value 1")
    assert(Files.list(d).count() == 0)
  }

  test("a Parquet shard whose file cannot be written: the task fails with the cause, never blocks, leaves nothing") {
    val i = init(Dtype.FLOAT32)
    val shards = Plan.of(java.util.List.of(i), 300000, ".parquet").tensors().get(0).shards().asScala
    val d = tmp()
    Files.write(d.resolve("out"), Array[Byte](1)) // a file where the output directory should be
    val w = new ShardWriter(fs, p(d.resolve("out")), FileFormat.PARQUET, "attempt-1", _ => (), _ => (), 4104, null)
    val e = try {
      val pool = Executors.newSingleThreadExecutor()
      // 73 chunks a shard, 4 in the pool: only chunks the stopped writer gives back let the fill go on; the
      // failure comes out of a later submit (or of finish, if the first write has not failed by then)
      val run = pool.submit(new java.util.concurrent.Callable[Throwable] {
        def call(): Throwable = try { shards.foreach(s => w.submit(i, s, false)); w.finish(); null }
        catch { case t: java.io.IOException => t }
      })
      try run.get(60, TimeUnit.SECONDS) finally pool.shutdown()
    } finally w.close()
    assert(e != null && e.getMessage.contains("cannot create directory"), e)
    assert(Files.list(d).iterator().asScala.map(_.getFileName.toString).toSeq == Seq("out"))
  }

  test("the fault hook: the temporary file is written, then the attempt fails and leaves it for the clean-up") {
    val i = init(Dtype.BFLOAT16)
    val s = Plan.of(java.util.List.of(i), 300000, ".parquet").tensors().get(0).shards().get(0)
    val d = tmp()
    val w = new ShardWriter(fs, p(d.resolve("out")), FileFormat.PARQUET, "attempt-7", _ => (), _ => (), 4104, null)
    val e = try {
      w.submit(i, s, true)
      intercept[java.io.IOException](w.finish())
    } finally w.close()
    val tmpName = "." + new Path(s.path()).getName + ".attempt-7.tmp"
    assert(e.getMessage == s"injected failure after writing $tmpName (test fault hook)")
    val ref = d.resolve("ref")
    reference(i, s, FileFormat.PARQUET, p(ref))
    val written = d.resolve("out").resolve(s.path()).resolveSibling(tmpName)
    assert(java.util.Arrays.equals(Files.readAllBytes(written), Files.readAllBytes(ref)))
  }

  test("a failed shard write stops the task at its next shard, which is neither filled nor written") {
    val i = init(Dtype.FLOAT32)
    val shards = Plan.of(java.util.List.of(i), 300000, ".parquet").tensors().get(0).shards()
    val d = tmp()
    val committed = new java.util.concurrent.ConcurrentLinkedQueue[Plan.Shard]()
    val w = new ShardWriter(fs, p(d.resolve("out")), FileFormat.PARQUET, "attempt-3", s => committed.add(s), _ => (), 4104, null)
    val e = try {
      w.submit(i, shards.get(0), true)
      Thread.sleep(1000) // ample time for the writer to write shard 0's 300 KB and fail
      intercept[java.io.IOException](w.submit(i, shards.get(1), false))
    } finally w.close()
    assert(e.getMessage.startsWith("injected failure after writing"), e.getMessage)
    assert(committed.isEmpty)
    val names = Files.walk(d.resolve("out")).iterator().asScala.map(_.getFileName.toString).toSeq
    assert(!names.exists(_.contains(new Path(shards.get(1).path()).getName)), names)
  }

  test("the buffer pool hands each buffer out once, though buffers read to their end compare equal") {
    val size = (5 << 20) + 8 // larger than any buffer other tests leave in the pool
    val big = ByteBuffer.allocate(size)
    big.position(size)
    val small = ByteBuffer.allocate(size - 8)
    small.position(size - 8)
    assert(big == small) // ByteBuffer.equals compares what remains: nothing, in both
    ShardBuffers.give(big)
    ShardBuffers.give(small) // ahead of big in the pool
    val first = ShardBuffers.take(size)
    val second = ShardBuffers.take(size)
    assert((first eq big) && !(second eq big) && first.limit() == size && first.position() == 0)
  }

  private def chunkOf(bytes: Array[Byte]): ByteBuffer = ByteBuffer.wrap(bytes)

  test("chunk stream: a failed fill fails the writer's read with it as the cause; its file is deleted") {
    val pool = new ChunkStream.Pool(2, 64)
    val cs = new ChunkStream(pool, _ => java.util.Map.of(), _ => ())
    val first = cs.take()
    first.put(Array.fill[Byte](64)(1)).flip()
    assert(cs.put(first))
    val boom = new IllegalStateException("boom")
    val filler = new Thread(() => { Thread.sleep(50); cs.fail(boom) })
    filler.start()
    val d = tmp()
    val e = intercept[java.io.IOException] {
      ShardFiles.writeStreamed(fs, p(d.resolve("f.parquet")), FileFormat.PARQUET, Dtype.FLOAT32, 0L, Array(64L), cs)
    }
    filler.join()
    assert(e.getMessage == "the shard's values could not be produced" && (e.getCause eq boom))
    assert(Files.list(d).count() == 0)
    cs.close()
    // both chunks are free again: the pool hands out two without waiting
    assert(pool.take() != null && pool.take() != null)
  }

  test("chunk stream: values that end early or run over fail the write; after close, put answers false") {
    def stream(chunks: Int, bytes: Int): ChunkStream = {
      val cs = new ChunkStream(new ChunkStream.Pool(4, 64), _ => java.util.Map.of("k", "v"), _ => ())
      for (_ <- 0 until chunks) {
        val c = cs.take()
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
    assert(!ok.put(chunkOf(new Array[Byte](8))))
  }
}
