package dev.shardinit.bench;

import dev.shardinit.init.Dtype;
import dev.shardinit.init.Init;
import dev.shardinit.init.Initializer;
import dev.shardinit.init.Target;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-core fill rate of {@link Initializer#fill} for each sampler and dtype: one invocation writes
 * {@link #RANGE} elements into a heap buffer, so the score (ops/s) reads as values written per second on
 * one thread. orthogonal_ is measured separately ({@link OrthogonalBenchmark}): its cost is building the
 * matrix, not filling.
 *
 * <p>Each invocation fills a different range: the start moves by {@link #STEP} (not a multiple of the
 * sampler chunk nor of the Philox block) modulo the tensor, so neither the range nor its alignment repeats
 * from one invocation to the next.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class FillBenchmark {
  /** Elements written per invocation. */
  static final int RANGE = 1 << 20;
  /** How far the start of the range moves between invocations. */
  static final long STEP = RANGE + 4099;
  /** Elements of the 1-D targets. */
  static final long NUMEL_1D = 1L << 24;
  /** Shape of the 2-D targets (same element count as the 1-D ones). */
  static final long[] SHAPE_2D = {4096, 4096};
  static final long SEED = 20240601L;

  @Param({"uniform", "normal", "trunc_normal", "kaiming_uniform", "xavier_normal", "sparse"})
  public String sampler;

  @Param({"float32", "bfloat16", "float16", "float64"})
  public String dtype;

  private Initializer init;
  private ByteBuffer buf;
  private long numel;
  private long offset;

  @Setup(Level.Trial)
  public void setup() {
    Dtype dt = Dtype.parse(dtype);
    init = build(sampler, dt);
    numel = init.target().numel();
    buf = ByteBuffer.allocate(RANGE * dt.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    offset = 0;
  }

  static Initializer build(String sampler, Dtype dt) {
    String name = "bench." + sampler;
    long[] flat = {NUMEL_1D};
    switch (sampler) {
      case "uniform":
        return Init.uniform(Target.of(name, flat, dt, SEED), -1.0, 1.0);
      case "normal":
        return Init.normal(Target.of(name, flat, dt, SEED), 0.0, 1.0);
      case "trunc_normal":
        return Init.truncNormal(Target.of(name, flat, dt, SEED), 0.0, 1.0, -2.0, 2.0);
      case "kaiming_uniform":
        return Init.kaimingUniform(Target.of(name, SHAPE_2D, dt, SEED), 0.0, "fan_in", "leaky_relu");
      case "xavier_normal":
        return Init.xavierNormal(Target.of(name, SHAPE_2D, dt, SEED), 1.0);
      case "sparse":
        return Init.sparse(Target.of(name, SHAPE_2D, dt, SEED), 0.1, 0.01);
      default:
        throw new IllegalArgumentException("unknown sampler " + sampler);
    }
  }

  @Benchmark
  @OperationsPerInvocation(RANGE)
  public ByteBuffer fill() {
    long start = offset;
    offset = (offset + STEP) % (numel - RANGE + 1);
    buf.clear();
    init.fill(start, start + RANGE, buf);
    return buf;
  }
}
