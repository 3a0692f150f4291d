package dev.shardinit.bench;

import dev.shardinit.rng.Gaussian;
import dev.shardinit.rng.Sampler;
import dev.shardinit.rng.Scratch;
import dev.shardinit.rng.Stream;
import dev.shardinit.rng.Unit;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Candidate N(0, 1) algorithms on the library's raw Philox words, per value: each invocation draws
 * {@link #N} values into a {@code double[]}, drawing its words from the stream first, so every score
 * includes the RNG cost and {@link #philoxOnly} is the floor. Scores are values per second.
 *
 * <ul>
 *   <li>{@link #inverseCdfBulk}: the library's way: {@code Gaussian.quantiles} over chunks, one word per value.
 *   <li>{@link #inverseCdf}: {@code Gaussian.quantile(Unit.of32(w))} value by value (same bits, scalar).
 *   <li>{@link #boxMullerStrict}: Box–Muller with StrictMath log/sin/cos, bit-reproducible on every JVM;
 *       two words give two values.
 *   <li>{@link #boxMullerFast}: the same with Math log/sin/cos (intrinsics: fast, but not bit-reproducible
 *       across platforms or JVMs).
 *   <li>{@link #splittableRandom}: {@code SplittableRandom.nextGaussian()}, the JDK's reference (not keyed
 *       by element index, so not usable for layout-invariant fills).
 *   <li>{@link #philoxOnly}: words converted to doubles by {@code Unit.of32} and nothing else.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
@Warmup(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
public class NormalAlgorithmsBenchmark {
  /** Values per invocation (even, for Box–Muller's pairs). */
  static final int N = 1 << 16;
  private static final double TWO_PI = 2 * Math.PI;

  private Stream stream;
  private SplittableRandom random;
  private int[] words;
  private double[] out;
  private final double[] bulkU = new double[Sampler.CHUNK];
  private final double[] bulkZ = new double[Sampler.CHUNK];
  private final Scratch scratch = new Scratch();
  private long next;

  @Setup(Level.Trial)
  public void setup() {
    stream = Stream.of(20240601L, "bench.normal", Stream.VALUES);
    random = new SplittableRandom(20240601L);
    words = new int[N];
    out = new double[N];
    next = 0;
  }

  /** Draws the next N words of the stream (a new range every invocation). */
  private int[] draw() {
    stream.words(next, N, words);
    next += N;
    return words;
  }

  /** The library's path: AS 241 over chunks of Sampler.CHUNK, central part vectorised, tail gathered. */
  @Benchmark
  @OperationsPerInvocation(N)
  public double[] inverseCdfBulk() {
    int[] w = draw();
    double[] o = out;
    double[] u = bulkU;
    for (int c = 0; c < N; c += Sampler.CHUNK) {
      for (int k = 0; k < Sampler.CHUNK; k++) {
        u[k] = Unit.of32(w[c + k]);
      }
      Gaussian.quantiles(u, bulkZ, Sampler.CHUNK, scratch);
      System.arraycopy(bulkZ, 0, o, c, Sampler.CHUNK);
    }
    return o;
  }

  /** The same quantile one value at a time (the scalar reference of the bulk path). */
  @Benchmark
  @OperationsPerInvocation(N)
  public double[] inverseCdf() {
    int[] w = draw();
    double[] o = out;
    for (int k = 0; k < N; k++) {
      o[k] = Gaussian.quantile(Unit.of32(w[k]));
    }
    return o;
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public double[] boxMullerStrict() {
    int[] w = draw();
    double[] o = out;
    for (int k = 0; k < N; k += 2) {
      double r = StrictMath.sqrt(-2.0 * StrictMath.log(Unit.of32(w[k])));
      double t = TWO_PI * Unit.of32(w[k + 1]);
      o[k] = r * StrictMath.cos(t);
      o[k + 1] = r * StrictMath.sin(t);
    }
    return o;
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public double[] boxMullerFast() {
    int[] w = draw();
    double[] o = out;
    for (int k = 0; k < N; k += 2) {
      double r = Math.sqrt(-2.0 * Math.log(Unit.of32(w[k])));
      double t = TWO_PI * Unit.of32(w[k + 1]);
      o[k] = r * Math.cos(t);
      o[k + 1] = r * Math.sin(t);
    }
    return o;
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public double[] splittableRandom() {
    SplittableRandom r = random;
    double[] o = out;
    for (int k = 0; k < N; k++) {
      o[k] = r.nextGaussian();
    }
    return o;
  }

  @Benchmark
  @OperationsPerInvocation(N)
  public double[] philoxOnly() {
    int[] w = draw();
    double[] o = out;
    for (int k = 0; k < N; k++) {
      o[k] = Unit.of32(w[k]);
    }
    return o;
  }
}
