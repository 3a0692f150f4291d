package dev.shardinit.init

import org.scalatest.funsuite.AnyFunSuite

import scala.jdk.CollectionConverters._

/** Gains, fans, defaults, derived std/bound and every rejected argument, as torch.nn.init has them. */
class TorchSemanticsSuite extends AnyFunSuite {
  private def td(dt: Dtype)(shape: Int*): Target = Target.of("w", shape.map(_.toLong).toArray, dt, 0L)
  private def t(shape: Int*): Target = td(Dtype.FLOAT32)(shape: _*)

  private def call(target: Target, fn: String, kw: (String, Any)*): Initializer =
    ByName.resolve(target, fn, kw.toMap.map { case (k, v) => k -> v.asInstanceOf[AnyRef] }.asJava)

  private def rejects(msg: String)(f: => Any): Unit = {
    val e = intercept[InitException](f)
    assert(e.getMessage == msg)
  }

  test("calculate_gain: the exact table") {
    for (n <- Seq("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
      "conv_transpose3d", "sigmoid")) assert(Gain.calculate(n, null) == 1.0)
    assert(Gain.calculate("tanh", null) == 5.0 / 3)
    assert(Gain.calculate("relu", null) == math.sqrt(2.0))
    assert(Gain.calculate("selu", null) == 0.75)
    assert(Gain.calculate("leaky_relu", null) == 1.4141428569978354)        // slope 0.01, from Python
    assert(Gain.calculate("leaky_relu", java.lang.Double.valueOf(0.2)) == 1.3867504905630728)
    assert(Gain.calculate("leaky_relu", Integer.valueOf(0)) == math.sqrt(2.0))
  }

  test("calculate_gain rejects a boolean slope and unknown nonlinearities") {
    rejects("negative_slope True not a valid number")(Gain.calculate("leaky_relu", java.lang.Boolean.TRUE))
    rejects("negative_slope abc not a valid number")(Gain.calculate("leaky_relu", "abc"))
    rejects("Unsupported nonlinearity gelu")(Gain.calculate("gelu", null))
    rejects("Unsupported nonlinearity ReLU")(Gain.calculate("ReLU", null))
  }

  test("fans: fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field") {
    assert(Fans.inOut(Array(64L, 128L)).toSeq == Seq(128L, 64L))
    assert(Fans.inOut(Array(16L, 3L, 5L, 5L)).toSeq == Seq(75L, 400L))
    assert(Fans.inOut(Array(8L, 4L, 2L, 3L, 5L)).toSeq == Seq(120L, 240L))
    assert(Fans.forMode(Array(16L, 3L, 5L, 5L), "FAN_OUT") == 400L)
    rejects("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")(Fans.inOut(Array(5L)))
    rejects("Mode fan_avg not supported, please use one of ['fan_in', 'fan_out']")(Fans.forMode(Array(2L, 2L), "Fan_Avg"))
  }

  test("derived std and bound follow torch's formulas bit for bit") {
    // Values computed with Python's math module, the same IEEE operations in the same order.
    val ku = call(t(64, 128), "kaiming_uniform_")
    assert(ku.bound.getAsDouble == 0.21650635094610965)
    assert(ku.gain.getAsDouble == math.sqrt(2.0))
    assert(ku.fanIn.getAsLong == 128 && ku.fanOut.getAsLong == 64)
    assert(call(t(128, 64), "xavier_normal").std.getAsDouble == 0.10206207261596575)
    assert(call(t(16, 3, 5, 5), "xavier_uniform_", "gain" -> 2).bound.getAsDouble == 0.22478059477960655)
    assert(call(t(16, 16, 3, 3), "kaiming_normal_", "mode" -> "fan_in", "nonlinearity" -> "tanh")
      .std.getAsDouble == 0.1388888888888889)
    val kn = call(t(8, 4), "kaiming_normal", "mode" -> "fan_out", "nonlinearity" -> "relu")
    assert(kn.std.getAsDouble == math.sqrt(2.0) / math.sqrt(8.0))
  }

  test("defaults are torch's and are recorded with the call") {
    def args(i: Initializer) = i.args.asScala.toSeq
    assert(args(call(t(4), "uniform_")) == Seq("a" -> 0.0, "b" -> 1.0))
    assert(args(call(t(4), "normal_")) == Seq("mean" -> 0.0, "std" -> 1.0))
    assert(args(call(t(4), "trunc_normal_")) == Seq("mean" -> 0.0, "std" -> 1.0, "a" -> -2.0, "b" -> 2.0))
    assert(args(call(t(4, 4), "xavier_uniform_")) == Seq("gain" -> 1.0))
    assert(args(call(t(4, 4), "kaiming_uniform_")) == Seq("a" -> 0, "mode" -> "fan_in", "nonlinearity" -> "leaky_relu"))
    assert(args(call(t(4, 4), "orthogonal_")) == Seq("gain" -> 1.0))
    assert(args(call(t(4, 4), "sparse_", "sparsity" -> 0.5)) == Seq("sparsity" -> 0.5, "std" -> 0.01))
    assert(args(call(t(4, 4, 3), "dirac_")) == Seq("groups" -> 1L))
    assert(call(t(4), "ones").fn == "ones_")
  }

  test("structural checks: eye_, dirac_, sparse_, orthogonal_ and fans reject the wrong rank") {
    rejects("Only tensors with 2 dimensions are supported")(call(t(2, 2, 2), "eye_"))
    rejects("Only tensors with 2 dimensions are supported")(call(t(4), "eye_"))
    rejects("Only tensors with 3, 4, or 5 dimensions are supported")(call(t(2, 2), "dirac_"))
    rejects("Only tensors with 3, 4, or 5 dimensions are supported")(call(t(2, 2, 2, 2, 2, 2), "dirac_"))
    rejects("dim 0 must be divisible by groups")(call(t(6, 2, 3), "dirac_", "groups" -> 4))
    rejects("Only tensors with 2 dimensions are supported")(call(t(2, 2, 2), "sparse_", "sparsity" -> 0.1))
    rejects("Only tensors with 2 or more dimensions are supported")(call(t(5), "orthogonal_"))
    rejects("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")(call(t(5), "xavier_uniform_"))
    rejects("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")(call(t(5), "kaiming_normal_"))
  }

  test("each rejected argument is named with its value") {
    rejects("uniform_ expects to return a [from, to) range, but found from=2 > to=1")(call(t(4), "uniform_", "a" -> 2, "b" -> 1))
    rejects("uniform_ expects to return a [from, to) range, but found from=0.8660254037844386 > to=-0.8660254037844386")(
      call(t(4, 4), "xavier_uniform_", "gain" -> -1))
    rejects("to is out of bounds for float16")(call(td(Dtype.FLOAT16)(4), "uniform_", "b" -> 1e5))
    rejects("from is out of bounds for bfloat16")(call(td(Dtype.BFLOAT16)(4), "uniform_", "a" -> -1e39))
    rejects("uniform_ expects to-from <= std::numeric_limits<float16>::max(), but found to=60000 and from=-60000 which result in to-from to exceed the limit")(
      call(td(Dtype.FLOAT16)(4), "uniform_", "a" -> -60000, "b" -> 60000))
    rejects("normal expects std >= 0.0, but found std -1")(call(t(4), "normal_", "std" -> -1))
    rejects("normal expects std >= 0.0, but found std -0.5")(call(t(4, 4), "sparse_", "sparsity" -> 0.5, "std" -> -0.5))
    rejects("normal expects std >= 0.0, but found std -0.5")(
      call(t(4, 4), "xavier_normal_", "gain" -> -1))
    rejects("trunc_normal_ expects std > 0.0, but found std 0")(call(t(4), "trunc_normal_", "std" -> 0))
    rejects("trunc_normal_ expects std > 0.0, but found std -1")(call(t(4), "trunc_normal_", "std" -> -1))
    rejects("trunc_normal_ expects a <= b, but found a=1 > b=-1")(call(t(4), "trunc_normal_", "a" -> 1, "b" -> -1))
    rejects("trunc_normal_: no bfloat16 value lies in [a, b] = [1.001, 1.002]")(
      call(td(Dtype.BFLOAT16)(4), "trunc_normal_", "a" -> 1.001, "b" -> 1.002))
    rejects("trunc_normal_: [a, b] = [50, 60] lies more than 37 std from mean=0 (std=1); its probability underflows float64")(
      call(t(4), "trunc_normal_", "a" -> 50, "b" -> 60))
    rejects("sparse_ expects 0 <= sparsity <= 1, but found sparsity 1.5")(call(t(4, 4), "sparse_", "sparsity" -> 1.5))
    rejects("sparse_ expects 0 <= sparsity <= 1, but found sparsity -0.1")(call(t(4, 4), "sparse_", "sparsity" -> -0.1))
    rejects("dirac_ expects groups >= 1, but found groups 0")(call(t(4, 4, 3), "dirac_", "groups" -> 0))
    rejects("value cannot be converted to type float16 without overflow")(call(td(Dtype.FLOAT16)(4), "constant_", "val" -> 1e5))
    rejects("Mode fan_avg not supported, please use one of ['fan_in', 'fan_out']")(call(t(4, 4), "kaiming_uniform_", "mode" -> "fan_avg"))
    rejects("Unsupported nonlinearity swish")(call(t(4, 4), "kaiming_normal_", "nonlinearity" -> "swish"))
    rejects("negative_slope True not a valid number")(call(t(4, 4), "kaiming_uniform_", "a" -> true))
    rejects("argument 'mean' must be a finite number, got NaN")(call(t(4), "normal_", "mean" -> Double.NaN))
    rejects("argument 'val' must be a finite number, got Infinity")(call(t(4), "constant_", "val" -> Double.PositiveInfinity))
    rejects("argument 'gain' must be a finite number, got Infinity")(call(t(4, 4), "orthogonal_", "gain" -> Double.PositiveInfinity))
    rejects("orthogonal_ builds its matrix in one task and supports at most 16777216 elements; w has 16785409")(
      call(t(4097, 4097), "orthogonal_"))
  }

  test("names, unknown arguments, missing arguments and wrong types are rejected by name") {
    rejects("unknown init 'he_normal'; use one of constant_, dirac_, eye_, kaiming_normal_, kaiming_uniform_, normal_, ones_, orthogonal_, sparse_, trunc_normal_, uniform_, xavier_normal_, xavier_uniform_, zeros_")(
      call(t(4), "he_normal"))
    rejects("normal_: unknown argument 'sigma'; accepted: mean, std")(call(t(4), "normal_", "sigma" -> 1))
    rejects("ones_: unknown argument 'val'; it takes no arguments")(call(t(4), "ones_", "val" -> 1))
    rejects("constant_: missing required argument 'val'")(call(t(4), "constant_"))
    rejects("sparse_: missing required argument 'sparsity'")(call(t(4, 4), "sparse_"))
    rejects("normal_: argument 'std' must be a number, got string '0.1'")(call(t(4), "normal_", "std" -> "0.1"))
    rejects("uniform_: argument 'a' must be a number, got boolean true")(call(t(4), "uniform_", "a" -> true))
    rejects("dirac_: argument 'groups' must be an integer, got double 2.5")(call(t(4, 4, 3), "dirac_", "groups" -> 2.5))
    rejects("kaiming_uniform_: argument 'mode' must be a string, got integer 1")(call(t(4, 4), "kaiming_uniform_", "mode" -> 1))
    rejects("kaiming_normal_: argument 'a' must be a number, got string 'x'")(call(t(4, 4), "kaiming_normal_", "a" -> "x"))
  }

  test("shapes: negative dimensions and element counts beyond 64 bits are rejected") {
    rejects("shape [2, -1] has a negative dimension")(Target.of("w", Array(2L, -1L), Dtype.FLOAT32, 0))
    rejects("shape [4294967296, 4294967296] has more than 9223372036854775807 elements")(
      Target.of("w", Array(1L << 32, 1L << 32), Dtype.FLOAT32, 0))
    rejects("tensor name must not be empty")(Target.of("", Array(2L), Dtype.FLOAT32, 0))
  }

  test("a zero-element tensor is a no-op with torch's warning") {
    for (fn <- Seq("uniform_", "normal_", "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "orthogonal_", "zeros_")) {
      val i = call(t(0, 4), fn)
      assert(i.warnings.asScala == Seq("Initializing zero-element tensors is a no-op"), fn)
      assert(i.fillAll().remaining() == 0)
    }
    assert(call(t(4), "normal_").warnings.isEmpty)
  }

  test("trunc_normal_ warns as torch does when mean is more than 2 std from [a, b]") {
    val i = call(t(4), "trunc_normal_", "mean" -> 5, "a" -> -1, "b" -> 1)
    assert(i.warnings.asScala == Seq("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may be incorrect."))
  }

  test("padding_idx: the row is +0.0 in every dtype; every other value is the one without it, at the same index") {
    for (dt <- Seq(Dtype.FLOAT64, Dtype.FLOAT32, Dtype.BFLOAT16, Dtype.FLOAT16)) {
      val plain = call(td(dt)(50, 48), "normal_", "std" -> 0.02)
      val padded = plain.withPaddingIdx(3)
      val a = dev.shardinit.TestSupport.bytes(plain.fillAll())
      val b = dev.shardinit.TestSupport.bytes(padded.fillAll())
      val row = 48 * dt.bytes
      assert(b.slice(3 * row, 4 * row).forall(_ == 0), dt)
      assert(a.slice(3 * row, 4 * row).exists(_ != 0), dt)
      assert(a.take(3 * row).sameElements(b.take(3 * row)) && a.drop(4 * row).sameElements(b.drop(4 * row)), dt)
      // filled in pieces that cut through the row: the same bytes
      val buf = java.nio.ByteBuffer.allocate(b.length)
      for (s <- 0L until 2400L by 77L) padded.fill(s, math.min(2400L, s + 77L), buf)
      assert(buf.array.sameElements(b), dt)
      assert(padded.paddingIdx.getAsLong == 3 && plain.paddingIdx.isEmpty)
      assert(padded.std == plain.std && padded.args == plain.args)
    }
  }

  test("padding_idx counts from the end when negative and must name a row of dimension 0, as nn.Embedding checks") {
    val i = call(t(10, 4), "normal_")
    assert(i.withPaddingIdx(-1).paddingIdx.getAsLong == 9)
    assert(i.withPaddingIdx(-10).paddingIdx.getAsLong == 0)
    rejects("Padding_idx must be within num_embeddings: 10 is not in [-10, 10) (dimension 0 of the shape)")(
      i.withPaddingIdx(10))
    rejects("Padding_idx must be within num_embeddings: -11 is not in [-10, 10) (dimension 0 of the shape)")(
      i.withPaddingIdx(-11))
    rejects("padding_idx needs a tensor of at least one dimension, got a 0-D tensor")(
      call(t(), "normal_").withPaddingIdx(0))
    val e = intercept[InitException](i.withPaddingIdx(12))
    assert(e.argument == "padding_idx")
  }
}
