package dev.shardinit.format

import dev.shardinit.init.{Dtype, Init, Target}
import org.apache.arrow.memory.RootAllocator
import org.apache.arrow.vector.ipc.ArrowFileReader
import org.apache.arrow.vector.types.FloatingPointPrecision
import org.apache.arrow.vector.types.pojo.ArrowType
import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileSystem, Path}
import org.apache.parquet.HadoopReadOptions
import org.apache.parquet.column.Encoding
import org.apache.parquet.format.{PageHeader, PageType, Util, Encoding => ThriftEncoding, FileMetaData => ThriftFileMetaData}
import org.apache.parquet.hadoop.ParquetFileReader
import org.apache.parquet.hadoop.metadata.{CompressionCodecName, ParquetMetadata}
import org.apache.parquet.hadoop.util.HadoopInputFile
import org.apache.parquet.schema.{LogicalTypeAnnotation, MessageTypeParser, PrimitiveType, Type}
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

import java.io.{ByteArrayInputStream, File, FileInputStream}
import java.nio.{ByteBuffer, ByteOrder}
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Paths}
import java.sql.{Connection, DriverManager}
import java.util.zip.CRC32
import scala.collection.mutable.ArrayBuffer
import scala.jdk.CollectionConverters._

class ShardFilesSuite extends AnyFunSuite with BeforeAndAfterAll {
  private val conf = new Configuration()
  private val fs: FileSystem = FileSystem.getLocal(conf)
  private val tmp: File = {
    val target = Paths.get("target")
    Files.createDirectories(target)
    Files.createTempDirectory(target, "shardfiles").toFile
  }

  override def afterAll(): Unit = {
    fs.delete(new Path(tmp.getAbsoluteFile.toURI), true)
    super.afterAll()
  }
  private var counter = 0

  private def freshPath(ext: String): Path = synchronized {
    counter += 1
    new Path(new File(tmp, s"shard-$counter$ext").getAbsoluteFile.toURI)
  }

  /** The values of a buffer and fixed metadata, as a source for a writer with settings of its own. */
  private def source(values: ByteBuffer, fixed: Map[String, String]): ShardSource = new ShardSource {
    private val v = values.slice().order(ByteOrder.LITTLE_ENDIAN)
    override def read(dst: ByteBuffer): Unit = { val n = dst.remaining(); dst.put(v.slice().limit(n)); v.position(v.position() + n) }
    override def headMetadata(): java.util.Map[String, String] = fixed.asJava
    override def metadata(): java.util.Map[String, String] = fixed.asJava
  }

  /** A Parquet file with row groups and pages of the given sizes. */
  private def writeParquet(p: Path, dt: Dtype, start: Long, pieces: Array[Long], values: ByteBuffer,
      metadata: Map[String, String], rowGroupBytes: Long, pageBytes: Int): Unit =
    parquet.ParquetWriter.write(EncodeRequest.of(FileSink.file(fs, p), dt, start, pieces, source(values, metadata)),
      rowGroupBytes, pageBytes)

  /** An Arrow file with record batches of the given size. */
  private def writeArrow(p: Path, dt: Dtype, start: Long, pieces: Array[Long], values: ByteBuffer,
      metadata: Map[String, String], batchBytes: Int): Unit =
    arrow.ArrowWriter.write(EncodeRequest.of(FileSink.file(fs, p), dt, start, pieces, source(values, metadata)),
      batchBytes)

  private val dtypes = Seq(Dtype.FLOAT32, Dtype.FLOAT64, Dtype.FLOAT16, Dtype.BFLOAT16)
  private val formats = Seq(FileFormat.PARQUET, FileFormat.ARROW)

  // A tensor of 37 x 6001 elements; the shard is [1234, 1234 + sum(pieces)): a 1-element piece, a large one,
  // and uneven others.
  private val shape = Array(37L, 6001L)
  private val start = 1234L
  private val pieces = Array(1L, 4767L, 3L, 150000L, 6001L, 2L, 29L, 1000L)
  private val meta = Map(
    "shardinit.tensor" -> """{"name":"layers.0.w","dtype":"x","shape":[37,6001]}""",
    "shardinit.file" -> """{"start":1234,"end":163037}""",
    "note" -> "unicode ∑ ok, empty next",
    "empty" -> "")

  private def shard(dt: Dtype): ByteBuffer = {
    val t = Target.of("layers.0.w", shape, dt, 42L)
    val n = pieces.sum
    val b = ByteBuffer.allocate((n * dt.bytes).toInt).order(ByteOrder.LITTLE_ENDIAN)
    Init.normal(t, 0.0, 1.0).fill(start, start + n, b)
    b.flip()
    b
  }

  // Uneven rows that stress the Parquet pages: 30,000 one-value rows (more than a page's 20,000-row limit), a
  // two-value row, and rows larger than a small page (70,000 and 150,000 values).
  private val manyPieces = pieces ++ Array.fill(30000)(1L) ++ Array(2L, 1L, 70000L)

  /** Values of a 1-D tensor's elements [start, start + n). */
  private def flat(dt: Dtype, start: Long, n: Long): ByteBuffer = {
    val t = Target.of("flat", Array(1L << 24), dt, 7L)
    val b = ByteBuffer.allocate((n * dt.bytes).toInt).order(ByteOrder.LITTLE_ENDIAN)
    Init.normal(t, 0.0, 1.0).fill(start, start + n, b)
    b.flip()
    b
  }

  /** Parquet's sizes in the tests that want several row groups and pages: 64 KiB row groups, 8 KiB pages. */
  private val smallRowGroup = 64L << 10
  private val smallPage = 8 << 10

  /** The exact value of IEEE binary16 bits. */
  private def halfToFloat(h: Int): Float = {
    val e = (h >>> 10) & 0x1F
    val m = h & 0x3FF
    val mag =
      if (e == 0) m * math.pow(2, -24)
      else if (e == 31) (if (m == 0) Double.PositiveInfinity else Double.NaN)
      else (1024 + m) * math.pow(2, e - 25)
    (if ((h & 0x8000) != 0) -mag else mag).toFloat
  }

  private def bytes(b: ByteBuffer): Array[Byte] = {
    val d = b.duplicate()
    val a = new Array[Byte](d.remaining())
    d.get(a)
    a
  }

  private def expectedOffsets(start: Long, lengths: Array[Long]): Array[Long] =
    lengths.scanLeft(start)(_ + _).init

  private def footer(p: Path): ParquetMetadata = {
    val r = ParquetFileReader.open(HadoopInputFile.fromPath(p, conf))
    try r.getFooter finally r.close()
  }

  /** One data page as stored: its header and its (here uncompressed) body. */
  private case class Page(header: PageHeader, body: Array[Byte])

  /** The Thrift footer as stored, and the pages of every column chunk (row group, then column, then page). */
  private def rawParquet(p: Path): (ThriftFileMetaData, Seq[Seq[Seq[Page]]]) = {
    val file = Files.readAllBytes(new File(p.toUri).toPath)
    val n = file.length
    assert(new String(file, n - 4, 4, StandardCharsets.US_ASCII) == "PAR1")
    val footerLength = ByteBuffer.wrap(file, n - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt
    val md = Util.readFileMetaData(new ByteArrayInputStream(file, n - 8 - footerLength, footerLength))
    val pages = md.getRow_groups.asScala.toSeq.map { rg =>
      rg.getColumns.asScala.toSeq.map { cc =>
        val m = cc.getMeta_data
        var at = m.getData_page_offset
        val end = at + m.getTotal_compressed_size
        val out = ArrayBuffer[Page]()
        while (at < end) {
          val in = new ByteArrayInputStream(file, at.toInt, (end - at).toInt)
          val h = Util.readPageHeader(in)
          at = end - in.available()
          out += Page(h, java.util.Arrays.copyOfRange(file, at.toInt, at.toInt + h.getCompressed_page_size))
          at += h.getCompressed_page_size
        }
        assert(at == end)
        out.toSeq
      }
    }
    (md, pages)
  }

  /** Decodes an RLE/bit-packed hybrid run sequence of bit width 1 (Parquet's level encoding). */
  private def decodeLevels(b: ByteBuffer, count: Int): Array[Int] = {
    val out = new Array[Int](count)
    var n = 0
    while (n < count) {
      var header = 0L
      var shift = 0
      var byte = 0
      while ({ byte = b.get() & 0xFF; header |= (byte & 0x7FL) << shift; shift += 7; (byte & 0x80) != 0 }) ()
      if ((header & 1) == 0) { // RLE run: count, then the value in one byte
        val v = b.get() & 0xFF
        assert(v <= 1)
        (0 until (header >>> 1).toInt).foreach { _ => out(n) = v; n += 1 }
      } else { // bit-packed groups of 8 values, one byte each at bit width 1
        (0 until (header >>> 1).toInt).foreach { _ =>
          val g = b.get() & 0xFF
          (0 until 8).foreach { k => if (n < count) { out(n) = (g >>> k) & 1; n += 1 } }
        }
      }
    }
    assert(n == count, s"levels overrun: $n of $count")
    out
  }

  /** The bytes a value takes in a PLAIN Parquet page: the dtype's own (bfloat16 is a 2-byte fixed array). */
  private def stored(dt: Dtype): Int = dt.bytes

  /** The PLAIN encoding of elements [from, from + n) of little-endian values: their bytes as they are. */
  private def plain(dt: Dtype, values: ByteBuffer, from: Long, n: Long): Array[Byte] = {
    val le = values.duplicate().order(ByteOrder.LITTLE_ENDIAN)
    val out = ByteBuffer.allocate((n * stored(dt)).toInt).order(ByteOrder.LITTLE_ENDIAN)
    (from until from + n).foreach { i =>
      val at = (i * dt.bytes).toInt
      (0 until dt.bytes).foreach(k => out.put(le.get(at + k)))
    }
    out.array
  }

  private def hex(b: Array[Byte]): String = b.map(x => f"${x & 0xFF}%02x").mkString(" ")

  private def hex(b: ByteBuffer): String = hex(bytes(b))

  /**
   * Checks every page of a Parquet shard file against the format, decoding it independently of parquet-java:
   * row groups and pages of whole rows within their sizes, data pages v1 with a correct CRC, the offsets
   * PLAIN, the values' levels RLE/bit-packed (repetition 0 at each row's start, definition all 1) and values
   * PLAIN and exact; the offsets' min/max per chunk and per page (column index) exact, the values' statistics a
   * null count of 0 only, with no column index.
   */
  private def checkPages(p: Path, dt: Dtype, start: Long, lengths: Array[Long], values: ByteBuffer,
      rowGroupBytes: Long, pageBytes: Int): Unit = {
    val (md, chunks) = rawParquet(p)
    val r = ParquetFileReader.open(HadoopInputFile.fromPath(p, conf))
    try {
      val blocks = r.getFooter.getBlocks.asScala.toSeq
      assert(blocks.size == chunks.size && md.getNum_rows == lengths.length)
      var row = 0
      var element = 0L
      for (((group, block), g) <- chunks.zip(blocks).zipWithIndex) {
        val rows = block.getRowCount.toInt
        val groupLengths = lengths.slice(row, row + rows)
        val groupBytes = groupLengths.map(_ * stored(dt) + 8).sum
        assert(rows == 1 || groupBytes <= rowGroupBytes, s"row group $g: $rows rows, $groupBytes bytes")
        val Seq(offsetPages, valuePages) = group
        val Seq(offsetMeta, valueMeta) = md.getRow_groups.get(g).getColumns.asScala.toSeq.map(_.getMeta_data)
        // offsets: PLAIN int64s, no levels
        val offsetBody = offsetPages.flatMap { pg =>
          val dp = pg.header.getData_page_header
          assert(pg.header.getType == PageType.DATA_PAGE && pg.header.isSetCrc)
          assert(dp.getEncoding == ThriftEncoding.PLAIN && dp.getRepetition_level_encoding == ThriftEncoding.BIT_PACKED
            && dp.getDefinition_level_encoding == ThriftEncoding.BIT_PACKED) // no levels: parquet-java's convention
          val crc = new CRC32()
          crc.update(pg.body)
          assert(pg.header.getCrc == crc.getValue.toInt)
          assert(pg.body.length == 8 * dp.getNum_values)
          pg.body.toSeq
        }.toArray
        val wantOffsets = expectedOffsets(start + element, groupLengths)
        val gotOffsets = {
          val b = ByteBuffer.wrap(offsetBody).order(ByteOrder.LITTLE_ENDIAN)
          Array.fill(offsetBody.length / 8)(b.getLong)
        }
        assert(gotOffsets.toSeq == wantOffsets.toSeq)
        assert(offsetMeta.getStatistics.getNull_count == 0)
        assert(ByteBuffer.wrap(offsetMeta.getStatistics.getMin_value).order(ByteOrder.LITTLE_ENDIAN).getLong
          == wantOffsets.head)
        assert(ByteBuffer.wrap(offsetMeta.getStatistics.getMax_value).order(ByteOrder.LITTLE_ENDIAN).getLong
          == wantOffsets.last)
        val offsetColumnIndex = r.readColumnIndex(block.getColumns.get(0))
        assert(offsetColumnIndex != null && offsetColumnIndex.getMinValues.size == offsetPages.size)
        assert(ByteBuffer.wrap(offsetColumnIndex.getMinValues.get(0).array()).order(ByteOrder.LITTLE_ENDIAN).getLong
          == wantOffsets.head)
        // values: whole rows per page
        val offsetIndex = r.readOffsetIndex(block.getColumns.get(1))
        val columnIndex = r.readColumnIndex(block.getColumns.get(1))
        assert(offsetIndex.getPageCount == valuePages.size)
        assert(columnIndex == null, "no column index for the values")
        var pageRow = 0
        var pageElement = element
        for ((pg, k) <- valuePages.zipWithIndex) {
          val dp = pg.header.getData_page_header
          assert(pg.header.getType == PageType.DATA_PAGE && pg.header.isSetCrc)
          assert(dp.getEncoding == ThriftEncoding.PLAIN && dp.getRepetition_level_encoding == ThriftEncoding.RLE
            && dp.getDefinition_level_encoding == ThriftEncoding.RLE)
          val crc = new CRC32()
          crc.update(pg.body)
          assert(pg.header.getCrc == crc.getValue.toInt)
          assert(offsetIndex.getFirstRowIndex(k) == pageRow)
          val pageRows = (if (k + 1 < valuePages.size) offsetIndex.getFirstRowIndex(k + 1).toInt else rows) - pageRow
          val pageLengths = groupLengths.slice(pageRow, pageRow + pageRows)
          val n = pageLengths.sum
          assert(dp.getNum_values == n)
          assert(pageRows == 1 || (n * stored(dt) <= pageBytes && pageRows <= 20000),
            s"page $k of row group $g: $pageRows rows, $n values")
          val b = ByteBuffer.wrap(pg.body).order(ByteOrder.LITTLE_ENDIAN)
          val rl = b.getInt
          val rep = decodeLevels(b.slice().limit(rl), n.toInt)
          b.position(b.position() + rl)
          val dl = b.getInt
          val defs = decodeLevels(b.slice().limit(dl), n.toInt)
          b.position(b.position() + dl)
          val expectedRep = pageLengths.flatMap(len => 0 +: Array.fill(len.toInt - 1)(1))
          assert(rep.sameElements(expectedRep), s"page $k of row group $g: repetition levels")
          assert(defs.forall(_ == 1))
          val rest = new Array[Byte](b.remaining)
          b.get(rest)
          assert(java.util.Arrays.equals(rest, plain(dt, values, pageElement, n)), s"page $k values")
          val ps = dp.getStatistics
          assert(ps == null || (!ps.isSetMin_value && !ps.isSetMax_value && !ps.isSetMin && !ps.isSetMax))
          pageRow += pageRows
          pageElement += n
        }
        assert(pageRow == rows)
        val st = valueMeta.getStatistics
        assert(st.isSetNull_count && st.getNull_count == 0)
        assert(!st.isSetMin_value && !st.isSetMax_value && !st.isSetMin && !st.isSetMax)
        assert(valueMeta.getNum_values == pageElement - element)
        row += rows
        element = pageElement
      }
      assert(row == lengths.length && element == lengths.sum)
    } finally r.close()
  }

  /** Reads a Parquet shard file with DuckDB and checks each row's offset and values exactly. */
  private def checkDuckDB(c: Connection, p: Path, dt: Dtype, start: Long, lengths: Array[Long],
      values: ByteBuffer): Unit = {
    val file = new File(p.toUri).getPath.replace("'", "''")
    val rs = c.createStatement().executeQuery(
      s"""SELECT "offset", "values" FROM read_parquet('$file')""")
    val le = values.duplicate().order(ByteOrder.LITTLE_ENDIAN)
    val offsets = expectedOffsets(start, lengths)
    var row = 0
    var at = 0
    while (rs.next()) {
      assert(rs.getLong(1) == offsets(row))
      val arr = rs.getArray(2).getArray.asInstanceOf[Array[AnyRef]]
      assert(arr.length == lengths(row))
      arr.foreach { x =>
        dt match {
          case Dtype.FLOAT32 => assert(x.asInstanceOf[Number].floatValue == le.getFloat(at))
          case Dtype.FLOAT64 => assert(x.asInstanceOf[Number].doubleValue == le.getDouble(at))
          case Dtype.FLOAT16 => assert(x.asInstanceOf[Number].floatValue == halfToFloat(le.getShort(at) & 0xFFFF))
          case _ => // bfloat16: a BLOB of the pattern's two bytes, little-endian
            val b = x.asInstanceOf[java.sql.Blob].getBytes(1, 2)
            assert(b.length == 2 && b(0) == le.get(at) && b(1) == le.get(at + 1))
        }
        at += dt.bytes
      }
      row += 1
    }
    assert(row == lengths.length && at == values.remaining, s"$dt: DuckDB read $row rows")
  }

  private def checkRoundTrip(p: Path, format: FileFormat, dt: Dtype, start: Long, lengths: Array[Long],
      values: ByteBuffer, metadata: Map[String, String]): ShardData = {
    val d = ShardFiles.read(fs, p, format)
    assert(d.dtype == dt)
    assert(d.offsets.toSeq == expectedOffsets(start, lengths).toSeq)
    assert(d.lengths.toSeq == lengths.toSeq)
    assert(d.rows == lengths.length)
    assert(d.elements == lengths.sum)
    assert(d.values.order == ByteOrder.LITTLE_ENDIAN && d.values.position == 0)
    assert(java.util.Arrays.equals(bytes(d.values), bytes(values)), s"$format $dt values differ")
    assert(d.metadata.asScala.toMap == metadata)
    d
  }

  for (format <- formats; dt <- dtypes) {
    test(s"$format $dt: values, offsets, lengths and metadata round-trip exactly") {
      val values = shard(dt)
      val position = values.position
      val p = freshPath(format.extension)
      ShardFiles.write(fs, p, format, dt, start, pieces, values, meta.asJava)
      assert(values.position == position, "the caller's buffer is left as it was")
      checkRoundTrip(p, format, dt, start, pieces, values, meta)
      // exactly one file at exactly that path (plus the local file system's checksum file)
      val names = fs.listStatus(p.getParent).map(_.getPath.getName).filter(_.contains(p.getName))
      assert(names.toSet.subsetOf(Set(p.getName, "." + p.getName + ".crc")) && names.contains(p.getName))
    }
  }

  for (format <- formats; dt <- dtypes; small <- Seq(false, true)) {
    val sizes = if (!small) "default sizes" else if (format == FileFormat.PARQUET) "64 KiB row groups, 8 KiB pages"
      else "20,000-byte batches"
    test(s"$format $dt, $sizes: one-value rows, rows larger than a page or batch, several row groups round-trip") {
      val start = 77L
      val values = flat(dt, start, manyPieces.sum)
      val p = freshPath(format.extension)
      (format, small) match {
        case (FileFormat.PARQUET, true) =>
          writeParquet(p, dt, start, manyPieces, values, meta, smallRowGroup, smallPage)
          assert(footer(p).getBlocks.size > 5)
        case (FileFormat.ARROW, true) =>
          writeArrow(p, dt, start, manyPieces, values, meta, 20000)
        case _ =>
          ShardFiles.write(fs, p, format, dt, start, manyPieces, values, meta.asJava)
      }
      checkRoundTrip(p, format, dt, start, manyPieces, values, meta)
      if (format == FileFormat.PARQUET) {
        if (small) checkPages(p, dt, start, manyPieces, values, smallRowGroup, smallPage)
        else checkPages(p, dt, start, manyPieces, values, ShardFiles.ROW_GROUP_BYTES, ShardFiles.PAGE_BYTES)
      }
    }
  }

  test("Parquet pages, levels, CRCs and statistics of the default shard are as specified") {
    for (dt <- dtypes) {
      val values = shard(dt)
      val p = freshPath(".parquet")
      ShardFiles.write(fs, p, FileFormat.PARQUET, dt, start, pieces, values, meta.asJava)
      checkPages(p, dt, start, pieces, values, ShardFiles.ROW_GROUP_BYTES, ShardFiles.PAGE_BYTES)
    }
  }

  test("zeros, infinities, subnormals and NaN payloads round-trip; the values column keeps no min/max") {
    def buf(dt: Dtype, xs: Seq[Long]): ByteBuffer = {
      val b = ByteBuffer.allocate(xs.size * dt.bytes).order(ByteOrder.LITTLE_ENDIAN)
      xs.foreach { x =>
        dt match {
          case Dtype.FLOAT32 => b.putInt(x.toInt)
          case Dtype.FLOAT64 => b.putLong(x)
          case _ => b.putShort(x.toShort)
        }
      }
      b.flip()
      b
    }
    val f32 = (x: Float) => java.lang.Float.floatToRawIntBits(x).toLong & 0xFFFFFFFFL
    val f64 = (x: Double) => java.lang.Double.doubleToRawLongBits(x)
    val cases = Seq(
      Dtype.FLOAT32 -> Seq(f32(0f), f32(1f), f32(0.5f)), // min +0 -> written -0
      Dtype.FLOAT32 -> Seq(f32(-1f), f32(-0f), f32(-2f)), // max -0 -> written +0
      Dtype.FLOAT32 -> Seq(f32(Float.NegativeInfinity), f32(Float.PositiveInfinity)),
      Dtype.FLOAT32 -> Seq(f32(1f), 0x7FC00001L, f32(-1f)), // a NaN with a payload
      Dtype.FLOAT32 -> Seq(0xFF800001L), // only a (negative, signalling) NaN
      Dtype.FLOAT64 -> Seq(f64(0d), f64(3d)),
      Dtype.FLOAT64 -> Seq(f64(-3d), f64(-0d)),
      Dtype.FLOAT64 -> Seq(f64(Double.NaN), f64(3d)),
      Dtype.FLOAT16 -> Seq(0x0000L, 0x3C00L), // +0, 1
      Dtype.FLOAT16 -> Seq(0xBC00L, 0x8000L, 0xC000L), // -1, -0, -2
      Dtype.FLOAT16 -> Seq(0xFC00L, 0x7C00L, 0x0001L), // -inf, +inf, the smallest subnormal
      Dtype.FLOAT16 -> Seq(0x3C00L, 0x7E00L), // 1, NaN
      Dtype.BFLOAT16 -> Seq(0x8000L, 0x0000L, 0xFFFFL, 0x7FC0L), // byte order: NaN patterns are byte strings
      Dtype.BFLOAT16 -> Seq(0x01FFL, 0xFF00L, 0x3F80L)) // low byte first: 0xFF00 is least, 0x01FF greatest
    for ((dt, xs) <- cases; format <- formats) {
      val values = buf(dt, xs)
      val lengths = Array(1L, xs.size - 1L).filter(_ > 0)
      val p = freshPath(format.extension)
      ShardFiles.write(fs, p, format, dt, 3L, lengths, values, null)
      checkRoundTrip(p, format, dt, 3L, lengths, values, Map.empty)
      if (format == FileFormat.PARQUET) {
        checkPages(p, dt, 3L, lengths, values, ShardFiles.ROW_GROUP_BYTES, ShardFiles.PAGE_BYTES)
      }
    }
  }

  test("Parquet page CRCs verify with parquet-java's checksum verification on") {
    for (dt <- dtypes) {
      val values = flat(dt, 0L, manyPieces.sum)
      val p = freshPath(".parquet")
      writeParquet(p, dt, 0L, manyPieces, values, Map.empty, smallRowGroup, smallPage)
      val r = ParquetFileReader.open(HadoopInputFile.fromPath(p, conf),
        HadoopReadOptions.builder(conf).usePageChecksumVerification(true).build())
      try {
        var groups = 0
        var pages = r.readNextRowGroup()
        while (pages != null) {
          groups += 1
          for (col <- r.getFooter.getFileMetaData.getSchema.getColumns.asScala) {
            val reader = pages.getPageReader(col)
            var page = reader.readPage()
            while (page != null) page = reader.readPage() // decompresses, verifying the CRC
          }
          pages = r.readNextRowGroup()
        }
        assert(groups == r.getFooter.getBlocks.size && groups > 1)
      } finally r.close()
    }
  }

  test("every 16-bit pattern (NaNs, infinities, subnormals, -0) survives both formats bit for bit") {
    val all = ByteBuffer.allocate(2 * 65536).order(ByteOrder.LITTLE_ENDIAN)
    (0 until 65536).foreach(i => all.putShort(i.toShort))
    all.flip()
    val lengths = Array(1L, 32767L, 32768L)
    for (format <- formats; dt <- Seq(Dtype.FLOAT16, Dtype.BFLOAT16)) {
      val p = freshPath(format.extension)
      ShardFiles.write(fs, p, format, dt, 0L, lengths, all, java.util.Map.of())
      checkRoundTrip(p, format, dt, 0L, lengths, all, Map.empty)
    }
  }

  test("float32 and float64 special values, NaN payloads included, survive both formats bit for bit") {
    val f = Seq(0f, -0f, Float.MinPositiveValue, -Float.MinPositiveValue, java.lang.Float.MIN_NORMAL, Float.MaxValue,
      Float.MinValue, Float.PositiveInfinity, Float.NegativeInfinity, Float.NaN, 1f, -1.5f)
    val d = Seq(0d, -0d, Double.MinPositiveValue, java.lang.Double.MIN_NORMAL, Double.MaxValue, Double.MinValue,
      Double.PositiveInfinity, Double.NegativeInfinity, Double.NaN, 1d, -1.5d)
    // and NaNs with a sign and payloads, given as raw bits
    val fNaNs = Seq(0xFFC00000, 0x7FC00001, 0x7F800001)
    val dNaNs = Seq(0xFFF8000000000000L, 0x7FF8000000000001L, 0x7FF0000000000001L)
    val fb = ByteBuffer.allocate(4 * (f.size + fNaNs.size)).order(ByteOrder.LITTLE_ENDIAN)
    f.foreach(x => fb.putFloat(x))
    fNaNs.foreach(x => fb.putInt(x))
    fb.flip()
    val db = ByteBuffer.allocate(8 * (d.size + dNaNs.size)).order(ByteOrder.LITTLE_ENDIAN)
    d.foreach(x => db.putDouble(x))
    dNaNs.foreach(x => db.putLong(x))
    db.flip()
    for (format <- formats) {
      val p32 = freshPath(format.extension)
      ShardFiles.write(fs, p32, format, Dtype.FLOAT32, 7L, Array(5L, 10L), fb, null)
      checkRoundTrip(p32, format, Dtype.FLOAT32, 7L, Array(5L, 10L), fb, Map.empty)
      val p64 = freshPath(format.extension)
      ShardFiles.write(fs, p64, format, Dtype.FLOAT64, 0L, Array(14L), db, null)
      checkRoundTrip(p64, format, Dtype.FLOAT64, 0L, Array(14L), db, Map.empty)
    }
  }

  test("Parquet schema, encodings, codec and footer metadata are as specified") {
    val element = Map(
      Dtype.FLOAT32 -> "required float element",
      Dtype.FLOAT64 -> "required double element",
      Dtype.FLOAT16 -> "required fixed_len_byte_array(2) element (FLOAT16)",
      Dtype.BFLOAT16 -> "required fixed_len_byte_array(2) element")
    for (dt <- dtypes) {
      val p = freshPath(".parquet")
      ShardFiles.write(fs, p, FileFormat.PARQUET, dt, start, pieces, shard(dt), meta.asJava)
      val f = footer(p)
      val schema = f.getFileMetaData.getSchema
      val expected = MessageTypeParser.parseMessageType(
        s"""message shardinit_tensor {
           |  required int64 offset;
           |  required group values (LIST) {
           |    repeated group list {
           |      ${element(dt)};
           |    }
           |  }
           |}""".stripMargin)
      assert(schema == expected, s"$dt schema:\n$schema")
      // and the same, field by field, without the parser
      val offset = schema.getType(schema.getFieldIndex("offset")).asPrimitiveType
      assert(offset.getPrimitiveTypeName == PrimitiveTypeName.INT64)
      assert(offset.getRepetition == Type.Repetition.REQUIRED && offset.getLogicalTypeAnnotation == null)
      val values = schema.getType(schema.getFieldIndex("values")).asGroupType
      assert(values.getRepetition == Type.Repetition.REQUIRED)
      assert(values.getLogicalTypeAnnotation == LogicalTypeAnnotation.listType())
      val list = values.getType("list").asGroupType
      assert(list.getRepetition == Type.Repetition.REPEATED && list.getFieldCount == 1)
      val el: PrimitiveType = list.getType("element").asPrimitiveType
      assert(el.getRepetition == Type.Repetition.REQUIRED)
      dt match {
        case Dtype.FLOAT32 =>
          assert(el.getPrimitiveTypeName == PrimitiveTypeName.FLOAT && el.getLogicalTypeAnnotation == null)
        case Dtype.FLOAT64 =>
          assert(el.getPrimitiveTypeName == PrimitiveTypeName.DOUBLE && el.getLogicalTypeAnnotation == null)
        case Dtype.FLOAT16 =>
          assert(el.getPrimitiveTypeName == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY && el.getTypeLength == 2)
          assert(el.getLogicalTypeAnnotation == LogicalTypeAnnotation.float16Type())
        case Dtype.BFLOAT16 =>
          assert(el.getPrimitiveTypeName == PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY && el.getTypeLength == 2)
          assert(el.getLogicalTypeAnnotation == null)
        case _ => fail()
      }
      assert(f.getFileMetaData.getKeyValueMetaData.asScala.toMap == meta, "no keys besides the caller's")
      assert(f.getBlocks.size == 1)
      for (b <- f.getBlocks.asScala; c <- b.getColumns.asScala) {
        assert(c.getCodec == CompressionCodecName.UNCOMPRESSED)
        val enc = c.getEncodings.asScala.toSet
        assert(enc.contains(Encoding.PLAIN), s"$dt ${c.getPath} $enc")
        assert(!enc.exists(_.usesDictionary), s"$dt ${c.getPath} $enc")
        assert(!c.hasDictionaryPage)
      }
      assert(f.getBlocks.get(0).getRowCount == pieces.length)
    }
  }

  test("Arrow schema, nullability, batches and schema metadata are as specified") {
    val item = Map[Dtype, ArrowType](
      Dtype.FLOAT32 -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
      Dtype.FLOAT64 -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE),
      Dtype.FLOAT16 -> new ArrowType.FloatingPoint(FloatingPointPrecision.HALF),
      Dtype.BFLOAT16 -> new ArrowType.Int(16, false))
    for (dt <- dtypes; batchBytes <- Seq(ShardFiles.BATCH_BYTES, 20000)) {
      val values = shard(dt)
      val p = freshPath(".arrow")
      writeArrow(p, dt, start, pieces, values, meta, batchBytes)
      val alloc = new RootAllocator()
      val in = new FileInputStream(new File(p.toUri))
      val r = new ArrowFileReader(in.getChannel, alloc)
      try {
        val schema = r.getVectorSchemaRoot.getSchema
        assert(schema.getFields.asScala.map(_.getName) == Seq("offset", "values"))
        val offset = schema.findField("offset")
        assert(offset.getType == new ArrowType.Int(64, true) && !offset.isNullable)
        val v = schema.findField("values")
        assert(v.getType == ArrowType.List.INSTANCE && !v.isNullable)
        assert(v.getChildren.size == 1)
        val child = v.getChildren.get(0)
        assert(child.getName == "item" && child.getType == item(dt) && !child.isNullable)
        assert(schema.getCustomMetadata.asScala.toMap == meta)
        // batches: consecutive rows, at most batchBytes of values unless a single row is larger
        val blocks = r.getRecordBlocks.asScala
        var rows = 0
        var batches = 0
        while (r.loadNextBatch()) {
          val root = r.getVectorSchemaRoot
          val n = root.getRowCount
          val rowBytes = pieces.slice(rows, rows + n).map(_ * dt.bytes)
          assert(n == 1 || rowBytes.sum <= batchBytes)
          rows += n
          batches += 1
        }
        assert(rows == pieces.length && batches == blocks.size)
        if (batchBytes == 20000) assert(batches >= 3) else assert(batches == 1)
      } finally {
        r.close()
        alloc.close()
        in.close()
      }
      checkRoundTrip(p, FileFormat.ARROW, dt, start, pieces, values, meta)
    }
  }

  test("an independent reader (DuckDB) sees the Parquet offsets, lengths and values of every dtype") {
    Class.forName("org.duckdb.DuckDBDriver")
    val c = DriverManager.getConnection("jdbc:duckdb:")
    try {
      for (dt <- dtypes) {
        val values = shard(dt)
        val p = freshPath(".parquet")
        ShardFiles.write(fs, p, FileFormat.PARQUET, dt, start, pieces, values, meta.asJava)
        checkDuckDB(c, p, dt, start, pieces, values)
        // several row groups and pages, one-value rows, rows larger than a page
        val many = flat(dt, 5L, manyPieces.sum)
        val q = freshPath(".parquet")
        writeParquet(q, dt, 5L, manyPieces, many, Map.empty, smallRowGroup, smallPage)
        checkDuckDB(c, q, dt, 5L, manyPieces, many)
        val r = freshPath(".parquet")
        ShardFiles.write(fs, r, FileFormat.PARQUET, dt, 5L, manyPieces, many, null)
        checkDuckDB(c, r, dt, 5L, manyPieces, many)
      }
    } finally c.close()
  }

  test("writing to an existing path fails and leaves the file alone") {
    for (format <- formats) {
      val p = freshPath(format.extension)
      val values = shard(Dtype.FLOAT32)
      ShardFiles.write(fs, p, format, Dtype.FLOAT32, start, pieces, values, meta.asJava)
      val before = Files.readAllBytes(new File(p.toUri).toPath)
      val other = shard(Dtype.FLOAT32)
      intercept[java.io.IOException] {
        ShardFiles.write(fs, p, format, Dtype.FLOAT32, start, pieces, other, java.util.Map.of("k", "v"))
      }
      assert(java.util.Arrays.equals(Files.readAllBytes(new File(p.toUri).toPath), before))
      checkRoundTrip(p, format, Dtype.FLOAT32, start, pieces, values, meta)
    }
  }

  test("empty metadata (empty map or null) and an empty shard work") {
    for (format <- formats; dt <- dtypes) {
      val values = shard(dt)
      val p = freshPath(format.extension)
      ShardFiles.write(fs, p, format, dt, start, pieces, values, java.util.Map.of())
      checkRoundTrip(p, format, dt, start, pieces, values, Map.empty)
      val q = freshPath(format.extension)
      ShardFiles.write(fs, q, format, dt, 5L, Array.emptyLongArray, ByteBuffer.allocate(0), null)
      val d = checkRoundTrip(q, format, dt, 5L, Array.emptyLongArray, ByteBuffer.allocate(0), Map.empty)
      assert(d.rows == 0)
    }
  }

  test("bad arguments are rejected before anything is written") {
    val values = shard(Dtype.FLOAT32)
    for (format <- formats) {
      val p = freshPath(format.extension)
      intercept[IllegalArgumentException] { // one element short
        ShardFiles.write(fs, p, format, Dtype.FLOAT32, start, pieces.updated(3, pieces(3) - 1), values, null)
      }
      intercept[IllegalArgumentException] { // a zero-length piece
        ShardFiles.write(fs, p, format, Dtype.FLOAT32, start, pieces :+ 0L, values, null)
      }
      intercept[IllegalArgumentException] {
        ShardFiles.write(fs, p, format, Dtype.FLOAT32, -1L, pieces, values, null)
      }
      intercept[IllegalArgumentException] { // float32 buffer declared as float64
        ShardFiles.write(fs, p, format, Dtype.FLOAT64, start, pieces, values, null)
      }
      assert(!fs.exists(p))
    }
  }

  /**
   * A source over a buffer that hands out at most `max` bytes, then fails (or stops, when `fail` is off); its
   * head metadata is `head`, or the final one.
   */
  private class BufferSource(values: ByteBuffer, metadata: java.util.Map[String, String], max: Long = Long.MaxValue,
      fail: Boolean = false, head: java.util.Map[String, String] = null) extends ShardSource {
    private val b = values.duplicate()
    private var given = 0L
    var metadataAsked = false
    var headAsked = false
    override def read(dst: ByteBuffer): Unit = {
      val length = dst.remaining
      if (given + length > max || length > b.remaining) {
        if (fail) throw new java.io.IOException("producer broke")
        throw new java.io.IOException("values ended")
      }
      dst.put(b.slice().limit(length))
      b.position(b.position() + length)
      given += length
    }
    override def headMetadata(): java.util.Map[String, String] = {
      headAsked = true
      if (head == null) metadata else head
    }
    override def metadata(): java.util.Map[String, String] = {
      metadataAsked = true
      if (b.hasRemaining) throw new java.io.IOException(s"${b.remaining} bytes left over")
      metadata
    }
  }

  test("a streamed write gives the buffered write's bytes; Parquet asks for the metadata after the values, Arrow before") {
    for (format <- formats; dt <- dtypes; ps <- Seq(pieces, manyPieces)) {
      val n = ps.sum
      val t = Target.of("layers.0.w", Array(1L << 24), dt, 42L)
      val values = ByteBuffer.allocate((n * dt.bytes).toInt).order(ByteOrder.LITTLE_ENDIAN)
      Init.normal(t, 0.0, 1.0).fill(start, start + n, values)
      values.flip()
      val buffered = freshPath(format.extension)
      ShardFiles.write(fs, buffered, format, dt, start, ps, values, meta.asJava)
      val streamed = freshPath(format.extension)
      val src = new BufferSource(values, meta.asJava)
      ShardFiles.writeStreamed(fs, streamed, format, dt, start, ps, src)
      assert(src.metadataAsked) // after the last value: Parquet writes it, Arrow checks nothing is left over
      assert(src.headAsked == (format == FileFormat.ARROW))
      assert(java.util.Arrays.equals(Files.readAllBytes(new File(streamed.toUri).toPath),
        Files.readAllBytes(new File(buffered.toUri).toPath)), s"$format $dt ${ps.length} pieces")
      assert(values.position() == 0)
    }
  }

  test("a streamed write whose values end early, run over, fail, or whose metadata is bad leaves no file") {
    val values = shard(Dtype.FLOAT32)
    val bytes = values.remaining.toLong
    for (format <- formats) {
      def attempt(src: ShardSource, pcs: Array[Long] = pieces): Throwable = {
        val p = freshPath(format.extension)
        val e = intercept[Exception](ShardFiles.writeStreamed(fs, p, format, Dtype.FLOAT32, start, pcs, src))
        assert(!fs.exists(p) && new File(p.toUri).getParentFile.list().forall(!_.contains(p.getName)))
        e
      }
      assert(attempt(new BufferSource(values, meta.asJava, max = bytes / 2)).getMessage == "values ended")
      assert(attempt(new BufferSource(values, meta.asJava, max = 4096, fail = true)).getMessage == "producer broke")
      // one piece shorter than the values: 4 bytes are left when the final metadata is asked for
      assert(attempt(new BufferSource(values, meta.asJava), pieces.updated(3, pieces(3) - 1)).getMessage
        == "4 bytes left over")
      val nullValue = new java.util.HashMap[String, String]()
      nullValue.put("k", null)
      assert(attempt(new BufferSource(values, nullValue)).getMessage == "metadata keys and values must not be null")
    }
    // Arrow writes the head metadata, Parquet the final one: each file holds its format's
    val head = (meta + ("late" -> "no")).asJava
    for ((format, expected) <- Seq(FileFormat.PARQUET -> meta, FileFormat.ARROW -> (meta + ("late" -> "no")))) {
      val p = freshPath(format.extension)
      ShardFiles.writeStreamed(fs, p, format, Dtype.FLOAT32, start, pieces, new BufferSource(values, meta.asJava, head = head))
      assert(ShardFiles.read(fs, p, format).metadata().asScala.toMap == expected)
    }
  }

  test("reading a file of the other format fails with an IOException") {
    val p = freshPath(".parquet")
    ShardFiles.write(fs, p, FileFormat.PARQUET, Dtype.FLOAT32, start, pieces, shard(Dtype.FLOAT32), null)
    val a = freshPath(".arrow")
    ShardFiles.write(fs, a, FileFormat.ARROW, Dtype.FLOAT32, start, pieces, shard(Dtype.FLOAT32), null)
    intercept[java.io.IOException](ShardFiles.read(fs, p, FileFormat.ARROW))
    intercept[java.io.IOException](ShardFiles.read(fs, a, FileFormat.PARQUET))
  }

  test("FileFormat ids, extensions and parsing") {
    assert(FileFormat.PARQUET.id == "parquet" && FileFormat.PARQUET.extension == ".parquet")
    assert(FileFormat.ARROW.id == "arrow" && FileFormat.ARROW.extension == ".arrow")
    assert(FileFormat.parse("Parquet") == FileFormat.PARQUET)
    assert(FileFormat.parse(" ARROW ") == FileFormat.ARROW)
    val e = intercept[IllegalArgumentException](FileFormat.parse("orc"))
    assert(e.getMessage == "unknown format 'orc'; use one of parquet, arrow, safetensors")
  }

  test("2^22 float32 and bfloat16 elements in rows of 768 (many pages and batches) read back as written") {
    val n = 1L << 22
    val lengthsOk = (Array.fill((n / 768).toInt)(768L) :+ n % 768).filter(_ > 0)
    val total = lengthsOk.sum
    for (dt <- Seq(Dtype.FLOAT32, Dtype.BFLOAT16); format <- formats) {
      val b = flat(dt, 0L, total)
      val p = freshPath(format.extension)
      ShardFiles.write(fs, p, format, dt, 0L, lengthsOk, b, null)
      val back = ShardFiles.read(fs, p, format)
      assert(back.values == b && back.lengths.sameElements(lengthsOk), s"$format $dt")
    }
  }
}
