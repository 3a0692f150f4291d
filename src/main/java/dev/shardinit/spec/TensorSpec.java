package dev.shardinit.spec;

import dev.shardinit.init.ByName;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import dev.shardinit.init.Target;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One tensor of a job, after repeat expansion: its name, shape, dtype, the torch.nn.init call that fills it,
 * and that call resolved for the job's seed. Immutable.
 */
public final class TensorSpec {
  private final String name;
  private final long[] shape;
  private final Dtype dtype;
  private final boolean ownDtype;
  private final String init;
  private final Map<String, Object> args;
  private final Long paddingIdx;
  private final String location;
  private final int template;
  private final Initializer initializer;

  TensorSpec(String name, long[] shape, Dtype dtype, boolean ownDtype, String init, Map<String, Object> args,
      Long paddingIdx, String location, int template, Initializer initializer) {
    this.name = name;
    this.shape = shape.clone();
    this.dtype = dtype;
    this.ownDtype = ownDtype;
    this.init = init;
    this.args = Collections.unmodifiableMap(new LinkedHashMap<>(args));
    this.paddingIdx = paddingIdx;
    this.location = location;
    this.template = template;
    this.initializer = initializer;
  }

  /** The tensor's name, placeholders substituted. */
  public String name() {
    return name;
  }

  public long[] shape() {
    return shape.clone();
  }

  /** The number of elements (1 for a 0-D tensor). */
  public long numel() {
    return initializer.target().numel();
  }

  /** The tensor's dtype: its own, or the job's default. */
  public Dtype dtype() {
    return dtype;
  }

  /** True when the spec gives this tensor a dtype of its own (the job's default dtype does not apply). */
  public boolean hasOwnDtype() {
    return ownDtype;
  }

  /** The torch.nn.init function, canonical spelling with the trailing underscore: {@code normal_}. */
  public String init() {
    return init;
  }

  /** The keyword arguments as written (Long, BigInteger, Double, Boolean or String values), in file order. */
  public Map<String, Object> args() {
    return args;
  }

  /** The row of dimension 0 zeroed after the init, as written (negative counts from the end), or null. */
  public Long paddingIdx() {
    return paddingIdx;
  }

  /**
   * Where the tensor comes from in the file: {@code tensors[3]}, or for a tensor of a repeat block the path
   * and the repeat variables, {@code tensors[1].tensors[0]{i=7}}.
   */
  public String location() {
    return location;
  }

  /** Index of the file entry this tensor was expanded from (tensors of one entry share it). */
  int template() {
    return template;
  }

  /** The initializer, resolved (and so validated) for the job's seed when the spec was parsed. */
  public Initializer initializer() {
    return initializer;
  }

  /** The initializer for {@code seed}: the one resolved at parse time when the seed is the same. */
  public Initializer resolve(long seed) {
    if (seed == initializer.target().seed()) {
      return initializer;
    }
    return ByName.resolve(Target.of(name, shape, dtype, seed), init, args, paddingIdx);
  }

  /** The same tensor with another seed or dtype, resolved again; the initializer's errors propagate. */
  TensorSpec with(Dtype d, long seed) {
    Initializer i = d == dtype && seed == initializer.target().seed()
        ? initializer
        : ByName.resolve(Target.of(name, shape, d, seed), init, args, paddingIdx);
    return new TensorSpec(name, shape, d, ownDtype, init, args, paddingIdx, location, template, i);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape) + ":" + dtype + " " + init + args
        + (paddingIdx == null ? "" : " padding_idx=" + paddingIdx);
  }
}
