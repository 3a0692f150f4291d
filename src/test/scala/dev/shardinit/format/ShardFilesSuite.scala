package dev.shardinit.format

import dev.shardinit.init.{Dtype, Init, Target}
import org.apache.arrow.memory.RootAllocator
import org.apache.arrow.vector.ipc.ArrowFileReader
import org.apache.arrow.vector.types.FloatingPointPrecision
import org.apache.arrow.vector.types.pojo.ArrowType
import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.{FileSystem, Path}
import org.apache.parquet.column.Encoding
import org.apache.parquet.hadoop.ParquetFileReader
import org.apache.parquet.hadoop.metadata.{CompressionCodecName, ParquetMetadata}
import org.apache.parquet.hadoop.util.HadoopInputFile
import org.apache.parquet.schema.{LogicalTypeAnnotation, MessageTypeParser, PrimitiveType, Type}
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

import java.io.{File, FileInputStream}
import java.nio.{ByteBuffer, ByteOrder}
import java.nio.file.{Files, Paths}
import java.sql.DriverManager
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

  test("float32 and float64 special values survive bit for bit (NaN payloads in Arrow; canonical NaN in Parquet)") {
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
    // parquet-java's PLAIN writer stores floatToIntBits / doubleToLongBits: every NaN becomes the canonical
    // quiet NaN there (a known limitation; no initializer produces NaN). Arrow keeps every bit.
    def canonical(b: ByteBuffer, dt: Dtype): ByteBuffer = {
      val c = ByteBuffer.allocate(b.remaining).order(ByteOrder.LITTLE_ENDIAN)
      val le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN)
      while (le.hasRemaining) {
        if (dt == Dtype.FLOAT32) c.putInt(java.lang.Float.floatToIntBits(java.lang.Float.intBitsToFloat(le.getInt)))
        else c.putLong(java.lang.Double.doubleToLongBits(java.lang.Double.longBitsToDouble(le.getLong)))
      }
      c.flip()
      c
    }
    for (format <- formats) {
      val p32 = freshPath(format.extension)
      ShardFiles.write(fs, p32, format, Dtype.FLOAT32, 7L, Array(5L, 10L), fb, null)
      val e32 = if (format == FileFormat.PARQUET) canonical(fb, Dtype.FLOAT32) else fb
      checkRoundTrip(p32, format, Dtype.FLOAT32, 7L, Array(5L, 10L), e32, Map.empty)
      val p64 = freshPath(format.extension)
      ShardFiles.write(fs, p64, format, Dtype.FLOAT64, 0L, Array(14L), db, null)
      val e64 = if (format == FileFormat.PARQUET) canonical(db, Dtype.FLOAT64) else db
      checkRoundTrip(p64, format, Dtype.FLOAT64, 0L, Array(14L), e64, Map.empty)
    }
  }

  test("Parquet schema, encodings, codec and footer metadata are as specified") {
    val element = Map(
      Dtype.FLOAT32 -> "required float element",
      Dtype.FLOAT64 -> "required double element",
      Dtype.FLOAT16 -> "required fixed_len_byte_array(2) element (FLOAT16)",
      Dtype.BFLOAT16 -> "required int32 element (INTEGER(16,false))")
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
          assert(el.getPrimitiveTypeName == PrimitiveTypeName.INT32)
          assert(el.getLogicalTypeAnnotation == LogicalTypeAnnotation.intType(16, false))
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

  test("Parquet with a codec, small row groups and small pages still round-trips") {
    for (dt <- dtypes; codec <- Seq(CompressionCodecName.SNAPPY, CompressionCodecName.ZSTD)) {
      val values = shard(dt)
      val p = freshPath(".parquet")
      ShardFiles.writeParquet(fs, p, dt, start, pieces, values, meta.asJava, codec, 64L << 10, 8 << 10)
      val f = footer(p)
      assert(f.getBlocks.size > 1, s"$dt: expected several row groups")
      assert(f.getBlocks.asScala.forall(_.getColumns.asScala.forall(_.getCodec == codec)))
      checkRoundTrip(p, FileFormat.PARQUET, dt, start, pieces, values, meta)
    }
  }

  test("Arrow schema, nullability, batches and schema metadata are as specified") {
    val item = Map[Dtype, ArrowType](
      Dtype.FLOAT32 -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE),
      Dtype.FLOAT64 -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE),
      Dtype.FLOAT16 -> new ArrowType.FloatingPoint(FloatingPointPrecision.HALF),
      Dtype.BFLOAT16 -> new ArrowType.Int(16, false))
    for (dt <- dtypes; batchBytes <- Seq(ShardFiles.DEFAULT_BATCH_BYTES, 20000)) {
      val values = shard(dt)
      val p = freshPath(".arrow")
      ShardFiles.writeArrow(fs, p, dt, start, pieces, values, meta.asJava, batchBytes)
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

  test("an independent reader (DuckDB) sees the Parquet offsets, lengths and values") {
    Class.forName("org.duckdb.DuckDBDriver")
    val c = DriverManager.getConnection("jdbc:duckdb:")
    try {
      for (dt <- Seq(Dtype.FLOAT32, Dtype.FLOAT64, Dtype.BFLOAT16)) {
        val values = shard(dt)
        val p = freshPath(".parquet")
        ShardFiles.write(fs, p, FileFormat.PARQUET, dt, start, pieces, values, meta.asJava)
        val file = new File(p.toUri).getPath.replace("'", "''")
        val rs = c.createStatement().executeQuery(
          s"""SELECT "offset", "values" FROM read_parquet('$file')""")
        val le = values.duplicate().order(ByteOrder.LITTLE_ENDIAN)
        var row = 0
        var at = 0
        while (rs.next()) {
          assert(rs.getLong(1) == expectedOffsets(start, pieces)(row))
          val arr = rs.getArray(2).getArray.asInstanceOf[Array[AnyRef]]
          assert(arr.length == pieces(row))
          arr.foreach { x =>
            dt match {
              case Dtype.FLOAT32 => assert(x.asInstanceOf[Number].floatValue == le.getFloat(at))
              case Dtype.FLOAT64 => assert(x.asInstanceOf[Number].doubleValue == le.getDouble(at))
              case _ => assert(x.asInstanceOf[Number].intValue == (le.getShort(at) & 0xFFFF))
            }
            at += dt.bytes
          }
          row += 1
        }
        assert(row == pieces.length && at == values.remaining)
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
    assert(e.getMessage == "unknown format 'orc'; use parquet or arrow")
  }

  test("write throughput (informational): 2^22 float32 elements in 4 pieces") {
    val n = 1 << 22
    val t = Target.of("big", Array(4L, n / 4L), Dtype.FLOAT32, 1L)
    val b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN)
    Init.normal(t, 0.0, 1.0).fill(0, n, b)
    b.flip()
    val lengths = Array.fill(4)(n / 4L)
    for (format <- formats) {
      val p = freshPath(format.extension)
      val t0 = System.nanoTime()
      ShardFiles.write(fs, p, format, Dtype.FLOAT32, 0L, lengths, b, null)
      val ms = (System.nanoTime() - t0) / 1e6
      info(f"$format: ${4.0 * n / (1 << 20)}%.0f MiB written in $ms%.0f ms")
      val t1 = System.nanoTime()
      val d = ShardFiles.read(fs, p, format)
      info(f"$format: read back in ${(System.nanoTime() - t1) / 1e6}%.0f ms")
      assert(d.values == b)
    }
  }
}
