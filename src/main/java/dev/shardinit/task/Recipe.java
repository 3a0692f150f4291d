package dev.shardinit.task;

import dev.shardinit.init.ByName;
import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import dev.shardinit.init.Target;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/** Everything an executor needs to rebuild a tensor's initializer: the call, not its result. */
public final class Recipe implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final long[] shape;
  private final String dtype;
  private final long seed;
  private final String fn;
  private final LinkedHashMap<String, Object> args;
  private final Long paddingIdx;

  private Recipe(String name, long[] shape, String dtype, long seed, String fn, Map<String, Object> args,
      Long paddingIdx) {
    this.name = name;
    this.shape = shape.clone();
    this.dtype = dtype;
    this.seed = seed;
    this.fn = fn;
    this.args = new LinkedHashMap<>(args);
    this.paddingIdx = paddingIdx;
  }

  /** The recipe of a resolved initializer (its function and every argument in force). */
  public static Recipe of(Initializer init) {
    Target t = init.target();
    return new Recipe(t.name(), t.shape(), t.dtype().id(), t.seed(), init.fn(), init.args(),
        init.paddingIdx().isPresent() ? init.paddingIdx().getAsLong() : null);
  }

  /** The recipe of a call as a manifest records it. */
  public static Recipe of(String name, long[] shape, String dtype, long seed, String fn, Map<String, Object> args,
      Long paddingIdx) {
    return new Recipe(name, shape, dtype, seed, fn, args, paddingIdx);
  }

  public String name() {
    return name;
  }

  public Initializer resolve() {
    return ByName.resolve(Target.of(name, shape, Dtype.parse(dtype), seed), fn, args, paddingIdx);
  }
}
