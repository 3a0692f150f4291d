package dev.shardinit.cli

import dev.shardinit.spark.SparkSuiteBase

import java.nio.file.{Files, Path}

/**
 * Bad input: one line on stderr naming the tensor and the field, exit code 2, and no output directory. Each
 * case is a tiny job (or a bad option) run through the CLI; the message fragments are checked, the full
 * message texts of the spec errors are pinned in JobSpecSuite and TorchSemanticsSuite.
 */
class BadInputSuite extends SparkSuiteBase {
  private def job(tensors: String, top: String = "seed: 1"): Path = {
    val f = Files.createTempFile(work, "job", ".yaml")
    Files.writeString(f, s"$top\ntensors:\n$tensors\n")
    f
  }

  private def t(name: String, shape: String, init: String, args: String = ""): String =
    s"  - name: $name\n    shape: $shape\n    init: $init\n" + (if (args.nonEmpty) s"    args: $args\n" else "")

  private val ok = t("ok", "[4, 4]", "normal_")

  private val cases: Seq[(String, () => Seq[String], Seq[String])] = Seq(
    ("unknown init", () => Seq(job(t("w", "[4, 4]", "he_normal")).toString), Seq("'w'", "unknown init 'he_normal'")),
    ("unknown argument", () => Seq(job(t("w", "[4, 4]", "normal_", "{sigma: 1}")).toString), Seq("'w'", "sigma")),
    ("wrong argument type", () => Seq(job(t("w", "[4, 4]", "normal_", "{std: abc}")).toString), Seq("'w'", "std", "must be a number")),
    ("zero dimension", () => Seq(job(t("w", "[4, 0]", "normal_")).toString), Seq("'w'", "shape")),
    ("negative dimension", () => Seq(job(t("w", "[-4, 4]", "normal_")).toString), Seq("'w'", "shape")),
    ("element count overflow", () => Seq(job(t("w", "[4294967296, 4294967296]", "normal_")).toString), Seq("'w'", "shape")),
    ("duplicate names", () => Seq(job(ok + t("ok", "[2]", "zeros_")).toString), Seq("'ok'", "duplicate")),
    ("unknown dtype", () => Seq(job(ok, "seed: 1\ndtype: int8").toString), Seq("dtype", "int8")),
    ("unknown format", () => Seq(job(ok, "seed: 1\nformat: csv").toString), Seq("format", "csv")),
    ("sparse_ on 3-D", () => Seq(job(t("s", "[4, 4, 4]", "sparse_", "{sparsity: 0.5}")).toString), Seq("'s'", "Only tensors with 2 dimensions are supported")),
    ("eye_ on 3-D", () => Seq(job(t("e", "[4, 4, 4]", "eye_")).toString), Seq("'e'", "Only tensors with 2 dimensions are supported")),
    ("dirac_ on 2-D", () => Seq(job(t("d", "[4, 4]", "dirac_")).toString), Seq("'d'", "Only tensors with 3, 4, or 5 dimensions are supported")),
    ("groups not dividing dim 0", () => Seq(job(t("d", "[6, 4, 3]", "dirac_", "{groups: 4}")).toString), Seq("'d'", "dim 0 must be divisible by groups")),
    ("sparsity outside [0, 1]", () => Seq(job(t("s", "[4, 4]", "sparse_", "{sparsity: 1.5}")).toString), Seq("'s'", "sparsity")),
    ("std < 0", () => Seq(job(t("n", "[4, 4]", "normal_", "{std: -1}")).toString), Seq("'n'", "normal expects std >= 0.0, but found std -1")),
    ("a > b", () => Seq(job(t("tn", "[4]", "trunc_normal_", "{a: 1, b: -1}")).toString), Seq("'tn'", "a <= b")),
    ("missing spec file", () => Seq(work.resolve("no-such-job.yaml").toString), Seq("no-such-job.yaml")),
    ("unparsable spec", () => { val f = Files.createTempFile(work, "bad", ".yaml"); Files.writeString(f, "seed: [1,\n  tensors"); Seq(f.toString) }, Seq("bad")),
    ("unknown key", () => Seq(job(ok, "seed: 1\nsead: 2").toString), Seq("sead")),
    ("bad shard size", () => Seq(job(ok).toString, "--shard-size", "lots"), Seq("--shard-size", "lots")),
    ("bad format option", () => Seq(job(ok).toString, "--format", "csv"), Seq("--format", "csv")),
    ("bad dtype option", () => Seq(job(ok).toString, "--dtype", "int4"), Seq("--dtype", "int4")),
    ("zero partitions", () => Seq(job(ok).toString, "--partitions", "0"), Seq("--partitions")),
    ("unknown format names the three", () => Seq(job(ok).toString, "--format", "gguf"),
      Seq("--format: unknown format 'gguf'; use one of parquet, arrow, safetensors")),
    ("bad --max-shard-size", () => Seq(job(ok).toString, "--format", "safetensors", "--max-shard-size", "5 gigs"),
      Seq("--max-shard-size: cannot parse '5 gigs'")),
    ("zero --max-shard-size", () => Seq(job(ok).toString, "--format", "safetensors", "--max-shard-size", "0"),
      Seq("--max-shard-size: size out of range: '0'")),
    ("--max-shard-size without safetensors", () => Seq(job(ok).toString, "--max-shard-size", "5GB"),
      Seq("--max-shard-size: applies to --format safetensors only; the format is parquet")),
    ("a tensor name safetensors cannot hold", () => Seq(job(ok + t("__metadata__", "[2]", "zeros_")).toString,
      "--format", "safetensors"), Seq("'__metadata__'", "name: '__metadata__' is the safetensors header's metadata key")),
    ("safetensors in a spec, the same name", () => Seq(job(t("__metadata__", "[2]", "zeros_"),
      "seed: 1\nformat: safetensors").toString), Seq("name: '__metadata__' is the safetensors header's metadata key")))

  for ((label, args, fragments) <- cases) test(s"bad input: $label -> one line, exit 2, nothing written") {
    val out = work.resolve(s"out-${label.replaceAll("[^a-z0-9]+", "-")}")
    val a = args()
    val r = cli(Seq("generate", a.head, "--out", out.toString) ++ a.tail: _*)
    assert(r.code == 2, s"exit ${r.code}: ${r.err}")
    val lines = r.err.linesIterator.filter(_.nonEmpty).toSeq
    assert(lines.size == 1, r.err)
    assert(lines.head.startsWith("shardinit: error: "), lines.head)
    for (f <- fragments) assert(lines.head.contains(f), s"'$f' not in: ${lines.head}")
    assert(!Files.exists(out), s"$out was created")
    assert(r.out.isEmpty)
  }

  test("an output directory that exists is refused without --overwrite, and a foreign one even with it") {
    val out = Files.createDirectories(work.resolve("existing"))
    Files.writeString(out.resolve("precious.txt"), "keep me")
    val j = job(ok).toString
    val r = cli("generate", j, "--out", out.toString)
    assert(r.code == 2 && r.err.trim == s"shardinit: error: --out: output directory $out exists (pass --overwrite to replace it)")
    val o = cli("generate", j, "--out", out.toString, "--overwrite")
    assert(o.code == 2 && o.err.trim == s"shardinit: error: --out: refusing to overwrite $out: it holds what is not a shardinit checkpoint's: precious.txt")
    assert(Files.readString(out.resolve("precious.txt")) == "keep me")
  }

  test("an unwritable output path is a one-line error and creates nothing") {
    val file = Files.writeString(work.resolve("a-file"), "x")
    val out = file.resolve("sub") // below a regular file: cannot be created
    val r = cli("generate", job(ok).toString, "--out", out.toString)
    assert(r.code == 2, r.err)
    assert(r.err.linesIterator.filter(_.nonEmpty).toSeq.size == 1, r.err)
    assert(r.err.startsWith(s"shardinit: error: --out: cannot create output directory $out"), r.err)
    assert(!Files.exists(out))
  }
}
