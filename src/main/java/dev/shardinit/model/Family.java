package dev.shardinit.model;

import java.util.List;

/**
 * A model family of transformers: the architectures it builds for a {@code model_type}, and for a config the
 * state dict they save — names, shapes, and the init their {@code _init_weights} gives each tensor. Tied tensors
 * are left out, as {@code save_pretrained} leaves them out.
 */
interface Family {
  /** The config's {@code model_type}. */
  String modelType();

  /** The architectures supported, the default (what {@code from_pretrained}'s Auto class builds) first. */
  List<String> architectures();

  /** Adds the tensors of {@code architecture} for {@code config} to {@code out}; problems go to the config. */
  void tensors(HfConfig config, String architecture, Tensors out);
}
