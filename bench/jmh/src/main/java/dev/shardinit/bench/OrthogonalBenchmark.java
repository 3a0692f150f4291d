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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to build and fully fill orthogonal_ for an n x n float32 tensor (ms per tensor).
 *
 * <p>dev.shardinit.rng.Orthogonal caches its last matrices per JVM, keyed by the stream (seed and tensor
 * name) and shape, so the tensor name carries a counter that changes every invocation: each invocation
 * derives a new stream and builds a fresh matrix, as a new tensor in a real run would.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class OrthogonalBenchmark {
  @Param({"256", "1024"})
  public int n;

  private ByteBuffer buf;
  private long counter;

  @Setup(Level.Trial)
  public void setup() {
    buf = ByteBuffer.allocate(n * n * Dtype.FLOAT32.bytes()).order(ByteOrder.LITTLE_ENDIAN);
    counter = 0;
  }

  @Benchmark
  public ByteBuffer buildAndFill() {
    Target t = Target.of("bench.orthogonal." + (counter++), new long[] {n, n}, Dtype.FLOAT32, 20240601L);
    Initializer init = Init.orthogonal(t, 1.0);
    buf.clear();
    init.fill(0, t.numel(), buf);
    return buf;
  }
}
