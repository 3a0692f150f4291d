package dev.shardinit.model;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Consumer;

/**
 * The tensor list of a job spec as a model family writes it (docs/JOBS.md): entries in state-dict order, each
 * with the torch.nn.init call the model's own initialisation amounts to, and a layer stack as a repeat block.
 */
final class Tensors {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private final ArrayNode list = F.arrayNode();

  ArrayNode list() {
    return list;
  }

  /** normal_(mean=0, std). */
  void normal(String name, double std, long... shape) {
    entry(name, "normal_", shape).putObject("args").put("std", std);
  }

  /** normal_(mean=0, std), then row {@code paddingIdx} zeroed (none when null). */
  void embedding(String name, double std, Long paddingIdx, long... shape) {
    ObjectNode e = entry(name, "normal_", shape);
    e.putObject("args").put("std", std);
    if (paddingIdx != null) {
      e.put("padding_idx", paddingIdx);
    }
  }

  void zeros(String name, long... shape) {
    entry(name, "zeros_", shape);
  }

  void ones(String name, long... shape) {
    entry(name, "ones_", shape);
  }

  void constant(String name, double val, long... shape) {
    entry(name, "constant_", shape).putObject("args").put("val", val);
  }

  /** An nn.Linear(in, out) as the base _init_weights leaves it: weight [out, in] N(0, std), bias zero. */
  void linear(String prefix, double std, long outFeatures, long inFeatures, boolean bias) {
    normal(prefix + ".weight", std, outFeatures, inFeatures);
    if (bias) {
      zeros(prefix + ".bias", outFeatures);
    }
  }

  /** An nn.LayerNorm of {@code hidden}: weight one, bias zero. */
  void layerNorm(String prefix, long hidden) {
    ones(prefix + ".weight", hidden);
    zeros(prefix + ".bias", hidden);
  }

  /** A repeat block binding {@code var} to 0 .. count-1 around the tensors {@code body} adds. */
  void repeat(String var, long count, Consumer<Tensors> body) {
    Tensors inner = new Tensors();
    body.accept(inner);
    ObjectNode r = list.addObject();
    r.putObject("repeat").put(var, count);
    r.set("tensors", inner.list);
  }

  /** Adds every tensor of {@code other} here. */
  void addAll(Tensors other) {
    list.addAll(other.list);
  }

  private ObjectNode entry(String name, String init, long... shape) {
    ObjectNode e = list.addObject();
    e.put("name", name);
    ArrayNode s = e.putArray("shape");
    for (long d : shape) {
      s.add(d);
    }
    e.put("init", init);
    return e;
  }
}
