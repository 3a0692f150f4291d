package dev.shardinit.spec

import org.scalatest.funsuite.AnyFunSuite

import scala.jdk.CollectionConverters._

/**
 * A module entry's problems, each one line naming the entry and the field (docs/JOBS.md, "Errors"): unknown
 * modules and arguments, missing, null and mistyped values, torch's own checks with torch's messages, the entry's
 * keys, name and dtype, reported once for the entry as written.
 */
class ModuleErrorsSuite extends AnyFunSuite {

  /** The errors of a spec with seed 1 and the given flow-style entries. */
  private def errors(entries: String*): Seq[String] =
    intercept[SpecException](JobSpec.parse("seed: 1\ntensors:\n" + entries.map("  - " + _ + "\n").mkString, "m.yaml"))
      .errors.asScala.toSeq

  /** The single error of one module entry `{module: <module>, name: m, args: {<args>}}`. */
  private def error(module: String, args: String): String = {
    val e = errors(s"{module: $module, name: m, args: {$args}}")
    assert(e.size == 1, e)
    e.head
  }

  test("unknown module: one line naming it and listing the supported ones") {
    assert(errors("{module: nn.Linaer, name: fc, args: {in_features: 2, out_features: 2}}") ==
      Seq("tensors[0] 'fc': module: unknown module 'nn.Linaer'; use one of " + Modules.names().asScala.mkString(", ")))
    assert(Modules.names().asScala.toSeq == Seq("nn.BatchNorm1d", "nn.BatchNorm2d", "nn.BatchNorm3d", "nn.Bilinear",
      "nn.Conv1d", "nn.Conv2d", "nn.Conv3d", "nn.ConvTranspose1d", "nn.ConvTranspose2d", "nn.ConvTranspose3d",
      "nn.Embedding", "nn.GRU", "nn.GroupNorm", "nn.LSTM", "nn.LayerNorm", "nn.Linear", "nn.MultiheadAttention",
      "nn.RMSNorm", "nn.RNN"))
    assert(errors("{module: 5, name: fc}") == Seq("tensors[0] 'fc': module: must be a string, got 5"))
  }

  test("unknown argument: named with the accepted ones; torch's arguments that change nothing are refused apart") {
    assert(error("nn.Linear", "in_features: 2, out_features: 2, bias_init: 0") ==
      "tensors[0] 'm': args.bias_init: nn.Linear: unknown argument 'bias_init'; accepted: in_features, out_features, bias")
    assert(error("nn.Conv2d", "in_channels: 2, out_channels: 2, kernel_size: 3, stride: 2") ==
      "tensors[0] 'm': args.stride: nn.Conv2d: 'stride' does not change the parameters or their initialization; " +
        "leave it out")
    assert(error("nn.Linear", "in_features: 2, out_features: 2, dtype: float16") ==
      "tensors[0] 'm': args.dtype: nn.Linear: give the dtype as the entry's dtype key, not as an argument")
    assert(error("nn.GRU", "input_size: 2, hidden_size: 4, proj_size: 1") ==
      "tensors[0] 'm': args.proj_size: nn.GRU: proj_size argument is only supported for LSTM, not RNN or GRU")
    assert(error("nn.RNN", "input_size: 2, hidden_size: 4, proj_size: 1") ==
      "tensors[0] 'm': args.proj_size: nn.RNN: proj_size argument is only supported for LSTM, not RNN or GRU")
    assert(error("nn.LSTM", "input_size: 2, hidden_size: 4, nonlinearity: relu") ==
      "tensors[0] 'm': args.nonlinearity: nn.LSTM: unknown argument 'nonlinearity'; accepted: input_size, " +
        "hidden_size, num_layers, bias, bidirectional, proj_size")
  }

  test("missing, null and mistyped arguments") {
    assert(error("nn.Linear", "in_features: 2") ==
      "tensors[0] 'm': args.out_features: nn.Linear: missing required argument 'out_features'")
    assert(errors("{module: nn.Linear, name: m}") == Seq(
      "tensors[0] 'm': args.in_features: nn.Linear: missing required argument 'in_features'",
      "tensors[0] 'm': args.out_features: nn.Linear: missing required argument 'out_features'"))
    assert(error("nn.Linear", "in_features: 2, out_features: 2, bias: null") ==
      "tensors[0] 'm': args.bias: must not be null; leave the argument out to use its default")
    assert(error("nn.Linear", "in_features: 2, out_features: 2, bias: 1") ==
      "tensors[0] 'm': args.bias: must be true or false, got 1")
    assert(error("nn.Linear", "in_features: 2.0, out_features: 2") ==
      "tensors[0] 'm': args.in_features: must be a positive integer, got 2.0")
    assert(error("nn.Linear", "in_features: '2', out_features: 2") ==
      "tensors[0] 'm': args.in_features: must be a positive integer, got \"2\"")
    assert(error("nn.Embedding", "num_embeddings: 4, embedding_dim: 2, padding_idx: 1.5") ==
      "tensors[0] 'm': args.padding_idx: must be an integer, got 1.5")
    assert(error("nn.RNN", "input_size: 99999999999999999999, hidden_size: 2") ==
      "tensors[0] 'm': args.input_size: must be a signed 64-bit integer, got 99999999999999999999")
    assert(errors("{module: nn.Linear, name: m, args: [1]}") ==
      Seq("tensors[0] 'm': args: must be a mapping of argument names to values, got [1]"))
  }

  test("sizes must be positive integers") {
    assert(error("nn.Linear", "in_features: -1, out_features: 3072") ==
      "tensors[0] 'm': args.in_features: must be a positive integer, got -1")
    assert(error("nn.Linear", "in_features: 2, out_features: 0") ==
      "tensors[0] 'm': args.out_features: must be a positive integer, got 0")
    assert(error("nn.Linear", "in_features: 99999999999999999999, out_features: 2") ==
      "tensors[0] 'm': args.in_features: must be at most 9223372036854775807, got 99999999999999999999")
    assert(error("nn.Bilinear", "in1_features: 2, in2_features: 0, out_features: 2") ==
      "tensors[0] 'm': args.in2_features: must be a positive integer, got 0")
    assert(error("nn.Embedding", "num_embeddings: 0, embedding_dim: 2") ==
      "tensors[0] 'm': args.num_embeddings: must be a positive integer, got 0")
    assert(error("nn.BatchNorm1d", "num_features: -4") ==
      "tensors[0] 'm': args.num_features: must be a positive integer, got -4")
    assert(error("nn.GroupNorm", "num_groups: 0, num_channels: 4") ==
      "tensors[0] 'm': args.num_groups: must be a positive integer, got 0")
    assert(error("nn.MultiheadAttention", "embed_dim: 4, num_heads: 2, kdim: 0") ==
      "tensors[0] 'm': args.kdim: must be a positive integer, got 0")
  }

  test("kernel_size and normalized_shape: an integer or a list of the right length") {
    assert(error("nn.Conv2d", "in_channels: 2, out_channels: 2, kernel_size: [3, 3, 3]") ==
      "tensors[0] 'm': args.kernel_size: must be a positive integer or a list of 2 positive integers, got [3,3,3]")
    assert(error("nn.Conv1d", "in_channels: 2, out_channels: 2, kernel_size: 0") ==
      "tensors[0] 'm': args.kernel_size: must be a positive integer or a list of 1 positive integers, got 0")
    assert(error("nn.Conv3d", "in_channels: 2, out_channels: 2, kernel_size: [3, 0, 3]") ==
      "tensors[0] 'm': args.kernel_size: must be a positive integer or a list of 3 positive integers, got [3,0,3]")
    assert(error("nn.Conv2d", "in_channels: 2, out_channels: 2") ==
      "tensors[0] 'm': args.kernel_size: nn.Conv2d: missing required argument 'kernel_size'")
    assert(error("nn.LayerNorm", "normalized_shape: [4, -1]") ==
      "tensors[0] 'm': args.normalized_shape: must be a positive integer or a list of positive integers, got [4,-1]")
    assert(error("nn.RMSNorm", "normalized_shape: '8'") ==
      "tensors[0] 'm': args.normalized_shape: must be a positive integer or a list of positive integers, got \"8\"")
  }

  test("torch's own checks, with torch's messages") {
    def conv(m: String, args: String) = error(m, "kernel_size: 3, " + args)
    assert(conv("nn.Conv2d", "in_channels: 6, out_channels: 9, groups: 0") ==
      "tensors[0] 'm': args.groups: groups must be a positive integer")
    assert(conv("nn.Conv2d", "in_channels: 6, out_channels: 9, groups: 4") ==
      "tensors[0] 'm': args.groups: in_channels must be divisible by groups")
    assert(conv("nn.ConvTranspose1d", "in_channels: 6, out_channels: 8, groups: 3") ==
      "tensors[0] 'm': args.groups: out_channels must be divisible by groups")
    assert(error("nn.Bilinear", "in1_features: 0, in2_features: 2, out_features: 2") ==
      "tensors[0] 'm': args.in1_features: in1_features must be > 0, but got (in1_features=0)")
    assert(error("nn.Embedding", "num_embeddings: 10, embedding_dim: 2, padding_idx: 10") ==
      "tensors[0] 'm': args.padding_idx: Padding_idx must be within num_embeddings")
    assert(error("nn.Embedding", "num_embeddings: 10, embedding_dim: 2, padding_idx: -11") ==
      "tensors[0] 'm': args.padding_idx: Padding_idx must be within num_embeddings")
    assert(error("nn.GroupNorm", "num_groups: 4, num_channels: 6") ==
      "tensors[0] 'm': args.num_groups: num_channels (6) must be divisible by num_groups (4)")
    assert(error("nn.LSTM", "input_size: 0, hidden_size: 4") ==
      "tensors[0] 'm': args.input_size: input_size must be greater than zero")
    assert(error("nn.RNN", "input_size: 2, hidden_size: -4") ==
      "tensors[0] 'm': args.hidden_size: hidden_size must be greater than zero")
    assert(error("nn.GRU", "input_size: 2, hidden_size: 4, num_layers: 0") ==
      "tensors[0] 'm': args.num_layers: num_layers must be greater than zero")
    assert(error("nn.LSTM", "input_size: 2, hidden_size: 4, proj_size: -1") ==
      "tensors[0] 'm': args.proj_size: proj_size should be a positive integer or zero to disable projections")
    assert(error("nn.LSTM", "input_size: 2, hidden_size: 4, proj_size: 4") ==
      "tensors[0] 'm': args.proj_size: proj_size has to be smaller than hidden_size")
    assert(error("nn.MultiheadAttention", "embed_dim: 10, num_heads: 4") ==
      "tensors[0] 'm': args.num_heads: embed_dim must be divisible by num_heads")
    assert(error("nn.MultiheadAttention", "embed_dim: 0, num_heads: 4") ==
      "tensors[0] 'm': args.embed_dim: embed_dim and num_heads must be greater than 0, got embed_dim=0 and " +
        "num_heads=4 instead")
    assert(error("nn.MultiheadAttention", "embed_dim: 0, num_heads: 0") ==
      "tensors[0] 'm': args: embed_dim and num_heads must be greater than 0, got embed_dim=0 and num_heads=0 instead")
  }

  test("every problem of an entry is reported, in torch's argument order, then the unknown arguments") {
    assert(errors("{module: nn.Conv2d, name: c, args: {in_channels: 0, out_channels: x, kernel_size: [1], bias: 2, " +
      "strides: 2}}") == Seq(
      "tensors[0] 'c': args.in_channels: must be a positive integer, got 0",
      "tensors[0] 'c': args.out_channels: must be a positive integer, got \"x\"",
      "tensors[0] 'c': args.kernel_size: must be a positive integer or a list of 2 positive integers, got [1]",
      "tensors[0] 'c': args.bias: must be true or false, got 2",
      "tensors[0] 'c': args.strides: nn.Conv2d: unknown argument 'strides'; accepted: in_channels, out_channels, " +
        "kernel_size, groups, bias"))
  }

  test("a module that would have no tensors is an error, as are sizes beyond 64 bits and too many layers") {
    assert(error("nn.LayerNorm", "normalized_shape: 4, elementwise_affine: false") ==
      "tensors[0] 'm': args: nn.LayerNorm with these arguments has no parameters; leave the entry out")
    assert(error("nn.BatchNorm1d", "num_features: 4, affine: false, track_running_stats: false") ==
      "tensors[0] 'm': args: nn.BatchNorm1d with these arguments has no parameters; leave the entry out")
    assert(error("nn.LSTM", "input_size: 2, hidden_size: 4611686018427387904") ==
      "tensors[0] 'm': args: nn.LSTM: the parameters' sizes do not fit in 64 bits")
    assert(error("nn.Linear", "in_features: 4294967296, out_features: 4294967296") ==
      "tensors[0] 'm': args: nn.Linear: the parameters' sizes do not fit in 64 bits")
    assert(error("nn.RNN", "input_size: 2, hidden_size: 4, num_layers: 1000000000000") ==
      "tensors[0] 'm': args: nn.RNN: the module entries expand to more than 1000000 tensors; a job holds at most " +
        "1000000")
    // the room is what the module entries before it left: 8 tensors fit in 8, not in 7, and none is made beyond it
    val lstm = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree("{module: nn.LSTM, name: l, args: " +
      "{input_size: 2, hidden_size: 4, bidirectional: true}}")
    def rewrite(room: Int) = {
      val errs = new Errors("x")
      val out = new ModuleEntries(errs, room).rewrite(lstm, "tensors[3]", java.util.List.of())
      (out.size, if (errs.any()) errs.failure().errors.asScala.toSeq else Seq())
    }
    assert(rewrite(8) == (8, Seq()))
    val (made, lines) = rewrite(7)
    assert(made == 0 && lines == Seq("tensors[3] 'l': args: nn.LSTM: the module entries expand to more than 1000000 " +
      "tensors; a job holds at most 1000000"))
  }

  test("the entry's own problems: keys, name, placeholders, dtype; reported once for the entry as written") {
    assert(errors("{module: nn.Linear, name: fc, shape: [2], args: {in_features: 2, out_features: 2}}") ==
      Seq("tensors[0] 'fc': unknown key 'shape' in a module entry; allowed: module, name, dtype, args"))
    assert(errors("{module: nn.Linear, args: {in_features: 2, out_features: 2}}") ==
      Seq("tensors[0]: missing field 'name'"))
    assert(errors("{module: nn.Linear, name: '', args: {in_features: 2, out_features: 2}}") ==
      Seq("tensors[0]: name: must not be empty"))
    assert(errors("{module: nn.Linear, name: 3, args: {in_features: 2, out_features: 2}}") ==
      Seq("tensors[0]: name: must be a string, got 3"))
    assert(errors("{module: nn.Linear, name: 'h.{i}', args: {in_features: 2, out_features: 2}}") ==
      Seq("tensors[0] 'h.{i}': name: unknown placeholder '{i}'; the tensor is not inside a repeat block"))
    assert(errors("{module: nn.Linear, name: fc, dtype: int8, args: {in_features: 2, out_features: 2}}") ==
      Seq("tensors[0] 'fc': dtype: unknown dtype 'int8'; use one of float32, float64, bfloat16, float16"))
    val inRepeat = intercept[SpecException](JobSpec.parse("seed: 1\ntensors:\n  - repeat: {i: 3}\n    tensors:\n" +
      "      - {module: nn.Linear, name: 'h.{i}.fc', args: {in_features: 2, out_features: -2}}\n", "r.yaml")).errors
    assert(inRepeat.asScala == Seq("tensors[0].tensors[0] 'h.{i}.fc': args.out_features: must be a positive " +
      "integer, got -2"))
  }

  test("expanded names are checked like any other: duplicates name the tensor and where it came from") {
    assert(errors("{name: fc.bias, shape: [2], init: zeros_}",
      "{module: nn.Linear, name: fc, args: {in_features: 2, out_features: 2}}") ==
      Seq("tensors[1] 'fc.bias': duplicate tensor name (first at tensors[0])"))
    assert(errors("{module: nn.LayerNorm, name: ln, args: {normalized_shape: 2}}",
      "{module: nn.RMSNorm, name: ln, args: {normalized_shape: 2}}") ==
      Seq("tensors[1] 'ln.weight': duplicate tensor name (first at tensors[0])"))
  }
}
