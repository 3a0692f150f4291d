package dev.shardinit.rng

import dev.shardinit.init.{Dtype, Init, Initializer, Target}
import org.scalatest.funsuite.AnyFunSuite

/** The test vectors of docs/RNG.md §8: the first six stored values of each case, as bits. */
class VectorsSuite extends AnyFunSuite {
  private def t(name: String, shape: Seq[Long], dt: Dtype, seed: Long) = Target.of(name, shape.toArray, dt, seed)

  private def bits(i: Initializer): String = {
    val dt = i.target.dtype
    val b = i.fillAll()
    (0 until 6).map { k =>
      dt match {
        case Dtype.FLOAT32 => f"${b.getInt(4 * k)}%08x"
        case Dtype.FLOAT64 => f"${b.getLong(8 * k)}%016x"
        case _ => f"${b.getShort(2 * k) & 0xFFFF}%04x"
      }
    }.mkString(" ")
  }

  private val cases: Seq[(String, () => Initializer, String)] = Seq(
    ("uniform_ float32", () => Init.uniform(t("w", Seq(8), Dtype.FLOAT32, 0), 0, 1),
      "3e9b3505 3ef726a7 3f484c4a 3f63e097 3f6042b0 3f0443bc"),
    ("normal_ float32", () => Init.normal(t("layer.0.weight", Seq(4, 4), Dtype.FLOAT32, 42), 0, 1),
      "bfcd6185 3fd995e5 bf423002 bf8d232c 3f95544a 3f705df2"),
    ("normal_ bfloat16", () => Init.normal(t("model.embed_tokens.weight", Seq(32000, 2048), Dtype.BFLOAT16, 42), 0, 0.02),
      "3a65 ba24 bac2 3b07 bbda bc52"),
    ("normal_ float64", () => Init.normal(t("x", Seq(6), Dtype.FLOAT64, -1), 0, 1),
      "3fce20a6e33e8fe9 bfc8f51890486b3d bfca4b4f17a4cfb4 bfdf87050d03f2ad bff1eb4109c9043a bfe770af3b44334b"),
    ("trunc_normal_ float16", () => Init.truncNormal(t("vit.pos", Seq(6), Dtype.FLOAT16, 7), 0, 0.02, -0.04, 0.04),
      "2065 28f5 a12b a915 1b31 a885"),
    ("kaiming_uniform_ float32", () => Init.kaimingUniform(t("fc.weight", Seq(6, 3), Dtype.FLOAT32, 1), Double.box(math.sqrt(5)), "fan_in", "leaky_relu"),
      "bee30897 3ec76ab4 bf13a251 3ee7ad15 be680409 3ebd64c4"),
    ("sparse_ float32", () => Init.sparse(t("s", Seq(2, 3), Dtype.FLOAT32, 3), 0.5, 0.01),
      "00000000 3c369857 00000000 bc2a8861 00000000 3c65b3da"),
    ("orthogonal_ float64", () => Init.orthogonal(t("lstm.weight_hh", Seq(3, 2), Dtype.FLOAT64, 5), 1),
      "bfe15fd625ae8c10 3fe2c5174fbb73f7 3fe9caa9fe6b5ae2 3fc4df595d52d56c 3fce2dbda69c6dc4 3fe962e27d7113c6"),
    ("orthogonal_ float32, rows < cols", () => Init.orthogonal(t("w", Seq(2, 3), Dtype.FLOAT32, 5), 1),
      "3dd4348b bed4ef10 bf674b6a bf0ec24e 3f3a56bf becc4a7e"),
    ("trunc_normal_ float64, flipped, far tail", () => Init.truncNormal(t("tail", Seq(6), Dtype.FLOAT64, 11), 0, 1, 7, 8),
      "401d396d214e6328 401c8f8419a2a0ac 401cc712692fc8a4 401c5234d015e3c6 401c23d64c6bcd51 401c365c25cf8839"),
    ("trunc_normal_ float64, not flipped, far tail", () => Init.truncNormal(t("tail", Seq(6), Dtype.FLOAT64, 11), 0, 1, -8, -7),
      "c01d396d214e6328 c01c8f8419a2a0ac c01cc712692fc8a4 c01c5234d015e3c6 c01c23d64c6bcd51 c01c365c25cf8839"),
    ("trunc_normal_ bfloat16, clamped to keepLo", () => Init.truncNormal(t("clamp", Seq(6), Dtype.BFLOAT16, 4), 0.9945, 0.01, 0.9925, 0.9965),
      "3f7f 3f7f 3f7f 3f7f 3f7f 3f7f"),
    ("xavier_uniform_ float32", () => Init.xavierUniform(t("xu", Seq(3, 5), Dtype.FLOAT32, 2), 1),
      "3f4c6157 bead4913 be937a77 bea6479f bf46a14f bec116a2"),
    ("xavier_normal_ bfloat16", () => Init.xavierNormal(t("xn", Seq(4, 4), Dtype.BFLOAT16, 2), 1),
      "bed4 3e3e 3f62 bdf4 bf21 bf70"),
    ("kaiming_normal_ float16", () => Init.kaimingNormal(t("conv", Seq(4, 3, 2), Dtype.FLOAT16, 9), Long.box(0L), "fan_out", "relu"),
      "b661 1a5b ace4 b5f6 b5b4 3886"),
    ("eye_ float32", () => Init.eye(t("e", Seq(2, 3), Dtype.FLOAT32, 0)),
      "3f800000 00000000 00000000 00000000 3f800000 00000000"),
    ("dirac_ float32", () => Init.dirac(t("d", Seq(2, 2, 3), Dtype.FLOAT32, 0), 1),
      "00000000 3f800000 00000000 00000000 00000000 00000000"))

  test("the doc's vectors are the suite's: every row of docs/RNG.md §8 is checked here") {
    val doc = java.nio.file.Files.readString(java.nio.file.Paths.get("docs/RNG.md"))
    val section = doc.substring(doc.indexOf("## 8. Test vectors"), doc.indexOf("## 9."))
    val rows = section.linesIterator.filter(l => l.startsWith("| ") && !l.startsWith("| case")).toSeq
    val docBits = rows.map(_.split("\\|")(2).trim).toSet
    assert(docBits == cases.map(_._3).toSet)
  }

  for ((label, make, want) <- cases) test(s"docs/RNG.md vector: $label") {
    assert(bits(make()) == want)
  }
}
