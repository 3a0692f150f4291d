package dev.shardinit.init;

import java.util.Arrays;
import java.util.Objects;

/** The tensor an initializer fills: its name, shape, dtype and the seed of the run. Immutable. */
public final class Target {
  private final String name;
  private final long[] shape;
  private final Dtype dtype;
  private final long seed;
  private final long numel;

  private Target(String name, long[] shape, Dtype dtype, long seed, long numel) {
    this.name = name;
    this.shape = shape;
    this.dtype = dtype;
    this.seed = seed;
    this.numel = numel;
  }

  /** Checks the shape (no negative dimension, at most 2^63-1 elements) and builds the target. */
  public static Target of(String name, long[] shape, Dtype dtype, long seed) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    if (name.isEmpty()) {
      throw new InitException("tensor name must not be empty");
    }
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw InitException.of("shape %s has a negative dimension", Arrays.toString(shape));
      }
    }
    for (long d : shape) {
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw InitException.of("shape %s has more than %d elements", Arrays.toString(shape), Long.MAX_VALUE);
      }
    }
    return new Target(name, shape.clone(), dtype, seed, n);
  }

  public String name() {
    return name;
  }

  public long[] shape() {
    return shape.clone();
  }

  public int dims() {
    return shape.length;
  }

  public long dim(int i) {
    return shape[i];
  }

  public Dtype dtype() {
    return dtype;
  }

  public long seed() {
    return seed;
  }

  public long numel() {
    return numel;
  }

  /** The same tensor with another dtype. */
  public Target withDtype(Dtype d) {
    return new Target(name, shape, d, seed, numel);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape) + ":" + dtype;
  }
}
