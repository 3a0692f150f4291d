package dev.shardinit.spec

import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper
import dev.shardinit.TestSupport
import org.scalatest.funsuite.AnyFunSuite

import java.io.File
import java.nio.charset.StandardCharsets
import java.nio.file.{Files, Path}
import java.util.Comparator
import scala.jdk.CollectionConverters._

/**
 * Module presets against torch's own modules (src/test/python/check_modules.py, torch 2.15.0): for each
 * configuration below, torch's state_dict has the expansion's names, order, shapes and dtypes (but for
 * BatchNorm's num_batches_tracked), torch's reset gives every tensor the law shardinit resolved with exactly
 * equal parameters, constants are equal element for element, and random values pass a two-sample
 * Kolmogorov-Smirnov test against torch's at alpha 0.01 overall (Bonferroni); Embedding padding rows are zero;
 * the tensors load into the torch module with strict=True. The values come from the core library, as a job
 * would write them; no Spark.
 */
class TorchModulesSuite extends AnyFunSuite {
  private val python = new File(".venv/bin/python")
  private val checker = "src/test/python/check_modules.py"
  private val json = new ObjectMapper()
  private val yaml = new YAMLMapper()
  private val seed = 20250611L
  private val alpha = 0.01

  /** (module, args as torch takes them, dtype): each module, with and without its options. */
  private val configs: Seq[(String, String, String)] = Seq(
    ("nn.Linear", "in_features: 256, out_features: 2048", "float32"),
    ("nn.Linear", "in_features: 1000, out_features: 64, bias: false", "float32"),
    ("nn.Linear", "in_features: 3, out_features: 4096", "float64"),
    ("nn.Linear", "in_features: 512, out_features: 512", "bfloat16"),
    ("nn.Linear", "in_features: 384, out_features: 1024", "float16"),
    ("nn.Bilinear", "in1_features: 20, in2_features: 30, out_features: 1500", "float32"),
    ("nn.Bilinear", "in1_features: 7, in2_features: 5, out_features: 300, bias: false", "float32"),
    ("nn.Conv1d", "in_channels: 16, out_channels: 1024, kernel_size: 5", "float32"),
    ("nn.Conv2d", "in_channels: 32, out_channels: 1024, kernel_size: 3", "float32"),
    ("nn.Conv2d", "in_channels: 64, out_channels: 2048, kernel_size: [3, 1], groups: 4", "float32"),
    ("nn.Conv3d", "in_channels: 8, out_channels: 64, kernel_size: 3, bias: false", "float32"),
    ("nn.Conv3d", "in_channels: 6, out_channels: 1200, kernel_size: [2, 3, 4], groups: 3", "float32"),
    ("nn.ConvTranspose1d", "in_channels: 64, out_channels: 1024, kernel_size: 4", "float32"),
    ("nn.ConvTranspose2d", "in_channels: 128, out_channels: 2048, kernel_size: 3, groups: 2", "float32"),
    ("nn.ConvTranspose2d", "in_channels: 16, out_channels: 512, kernel_size: [2, 3], bias: false", "float32"),
    ("nn.ConvTranspose3d", "in_channels: 8, out_channels: 1024, kernel_size: 3, groups: 4", "bfloat16"),
    ("nn.Embedding", "num_embeddings: 5000, embedding_dim: 64", "float32"),
    ("nn.Embedding", "num_embeddings: 1000, embedding_dim: 32, padding_idx: 0", "float32"),
    ("nn.Embedding", "num_embeddings: 1000, embedding_dim: 32, padding_idx: -1", "float64"),
    ("nn.Embedding", "num_embeddings: 3000, embedding_dim: 16, padding_idx: 7", "bfloat16"),
    ("nn.LayerNorm", "normalized_shape: 768", "float32"),
    ("nn.LayerNorm", "normalized_shape: [4, 5], bias: false", "float16"),
    ("nn.RMSNorm", "normalized_shape: [8, 16]", "float32"),
    ("nn.GroupNorm", "num_groups: 4, num_channels: 64", "float32"),
    ("nn.GroupNorm", "num_groups: 2, num_channels: 6, bias: false", "float32"),
    ("nn.BatchNorm1d", "num_features: 100", "float32"),
    ("nn.BatchNorm2d", "num_features: 64, affine: false", "float32"),
    ("nn.BatchNorm3d", "num_features: 32, track_running_stats: false", "float64"),
    ("nn.BatchNorm2d", "num_features: 16, bias: false", "bfloat16"),
    ("nn.RNN", "input_size: 32, hidden_size: 256", "float32"),
    ("nn.RNN", "input_size: 16, hidden_size: 48, num_layers: 2, bidirectional: true, bias: false", "float32"),
    ("nn.LSTM", "input_size: 64, hidden_size: 128", "float32"),
    ("nn.LSTM", "input_size: 32, hidden_size: 64, num_layers: 2, bidirectional: true, proj_size: 16", "float32"),
    ("nn.LSTM", "input_size: 20, hidden_size: 40, proj_size: 10, bias: false", "float64"),
    ("nn.GRU", "input_size: 50, hidden_size: 100, num_layers: 2", "float32"),
    ("nn.GRU", "input_size: 8, hidden_size: 32, bidirectional: true", "bfloat16"),
    ("nn.MultiheadAttention", "embed_dim: 256, num_heads: 8", "float32"),
    ("nn.MultiheadAttention", "embed_dim: 128, num_heads: 4, kdim: 64, vdim: 96, add_bias_kv: true", "float32"),
    ("nn.MultiheadAttention", "embed_dim: 64, num_heads: 2, bias: false", "float32"),
    ("nn.MultiheadAttention", "embed_dim: 96, num_heads: 3, add_bias_kv: true, kdim: 96", "float64"))

  /** The job spec of every configuration: one module entry each, named c0, c1, ... */
  private def spec: JobSpec = JobSpec.parse(s"seed: $seed\ntensors:\n" + configs.zipWithIndex.map {
    case ((m, args, dtype), i) => s"  - {module: $m, name: c$i, args: {$args}, dtype: $dtype}\n"
  }.mkString, "torch-modules.yaml")

  /** Writes the configurations and the core library's values of every tensor for the checker. */
  private def expected(dir: Path): Unit = {
    val s = spec
    val cs = configs.zipWithIndex.map { case ((m, args, dtype), i) =>
      Map("prefix" -> s"c$i", "module" -> m, "args" -> yaml.readTree(s"{$args}"), "dtype" -> dtype).asJava
    }
    val ts = s.tensors.asScala.zipWithIndex.map { case (t, i) =>
      val init = t.resolve(s.seed)
      Files.write(dir.resolve(s"$i.bin"), TestSupport.bytes(init.fillAll()))
      val config = t.name.substring(1, t.name.indexOf('.')).toInt
      Map("config" -> config, "name" -> t.name, "dtype" -> t.dtype.id, "shape" -> t.shape.toSeq.asJava,
        "file" -> s"$i.bin", "fn" -> init.fn, "args" -> init.args,
        "bound" -> (if (init.bound.isPresent) init.bound.getAsDouble else null),
        "std" -> (if (init.std.isPresent) init.std.getAsDouble else null)).asJava
    }
    Files.writeString(dir.resolve("expected.json"), json.writeValueAsString(Map("seed" -> seed, "alpha" -> alpha,
      "configs" -> cs.asJava, "tensors" -> ts.asJava).asJava))
  }

  test("every module preset is torch's module: state_dict names, order, shapes, dtypes, laws and values") {
    assert(python.canExecute, s"$python is missing: .ci/python-env makes it (Maven runs it before the tests)")
    assert(configs.map(_._1).toSet.asJava == new java.util.HashSet(Modules.names()), "a module without a check")
    val dir = Files.createTempDirectory("torch-modules")
    try {
      expected(dir)
      val p = new ProcessBuilder(python.getPath, checker, dir.toString).redirectErrorStream(true).start()
      val text = new String(p.getInputStream.readAllBytes(), StandardCharsets.UTF_8)
      assert(p.waitFor() == 0, text)
      val c = json.readTree(text.linesIterator.toSeq.last)
      val ts = spec.tensors.asScala.toSeq
      val (constant, random) = ts.partition(t => Set("ones_", "zeros_").contains(t.init))
      assert(c.get("configs").asInt == configs.size && c.get("tensors").asInt == ts.size, text)
      assert(c.get("constant").asInt == constant.size && c.get("ks").asInt == random.size, text)
      assert(c.get("power").asInt == random.count(_.numel >= 32768) && c.get("power").asInt >= 15, text)
      // num_batches_tracked of the three BatchNorms that track running stats; the three padding rows
      assert(c.get("left_out").asInt == 3 && c.get("padding").asInt == 3, text)
      info(text.trim)
    } finally {
      Files.walk(dir).sorted(Comparator.reverseOrder[Path]()).forEach(f => Files.delete(f))
    }
  }
}
