package dev.shardinit.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.Dependency;
import org.apache.spark.Partition;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.rdd.RDD;
import scala.collection.immutable.Nil$;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * A Spark job whose partition i carries its own input and runs a {@link Work} on it, returning its results to
 * the driver. The inputs travel in the partitions, which Spark sends to each task on its own, so a task
 * carries its own part of the plan and the task binary (the RDD and the function) stays small, whatever the
 * size of the job. The job hands Spark no closures (the work is a named serializable class), so Spark's
 * closure cleaner has nothing to parse.
 *
 * @param <P> a partition's input
 * @param <R> what a partition's work returns, element by element
 */
final class WorkJob<P extends Serializable, R extends Serializable> extends RDD<R> {
  private static final long serialVersionUID = 1L;

  /** What a task does with its partition's input; runs on an executor. */
  interface Work<P, R> extends Serializable {
    List<R> run(P input, TaskContext tc) throws IOException;
  }

  /** A partition's input that is a list of items (files to check, to copy, to assemble). */
  static final class Batch<T extends Serializable> implements Serializable {
    private static final long serialVersionUID = 1L;
    final List<T> items;

    Batch(List<T> items) {
      this.items = new java.util.ArrayList<>(items);
    }
  }

  /** {@code items} dealt into at most {@code k} batches of about equal weight ({@link Generator#balance}). */
  static <T extends Serializable> List<Batch<T>> batches(List<T> items, int k,
      java.util.function.ToLongFunction<T> weight) {
    List<Batch<T>> out = new java.util.ArrayList<>();
    for (List<T> g : Generator.balance(items, k, weight)) {
      out.add(new Batch<>(g));
    }
    return out;
  }

  private final transient List<P> inputs;
  private final Work<P, R> work;

  WorkJob(SparkContext sc, List<P> inputs, Work<P, R> work) {
    super(sc, noDependencies(), ClassTag$.MODULE$.apply(Object.class));
    this.inputs = inputs;
    this.work = work;
  }

  @SuppressWarnings("unchecked")
  private static scala.collection.immutable.Seq<Dependency<?>> noDependencies() {
    return (scala.collection.immutable.Seq<Dependency<?>>) (Object) Nil$.MODULE$;
  }

  /** Runs every partition; the results of all partitions, in partition order. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  List<R> run() {
    Object[][] results = new Object[inputs.size()][];
    RDD self = this; // typed as RDD<Object> for the named functions below
    context().runJob(self, new ToArray(), new scala.collection.immutable.Range.Exclusive(0, inputs.size(), 1),
        new Store(results), ClassTag$.MODULE$.apply(Object[].class));
    List<R> all = new ArrayList<>();
    for (Object[] part : results) {
      for (Object r : part) {
        @SuppressWarnings("unchecked")
        R cast = (R) r;
        all.add(cast);
      }
    }
    return all;
  }

  @Override
  public Partition[] getPartitions() {
    Partition[] p = new Partition[inputs.size()];
    for (int i = 0; i < p.length; i++) {
      p[i] = new Slot<>(i, inputs.get(i));
    }
    return p;
  }

  @Override
  @SuppressWarnings("unchecked")
  public scala.collection.Iterator<R> compute(Partition split, TaskContext tc) {
    try {
      return CollectionConverters.asScala(work.run(((Slot<P>) split).input, tc).iterator());
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /** A partition: its index and its input. */
  private static final class Slot<P extends Serializable> implements Partition {
    private static final long serialVersionUID = 1L;
    private final int index;
    private final P input;

    Slot(int index, P input) {
      this.index = index;
      this.input = input;
    }

    @Override
    public int index() {
      return index;
    }

    @Override
    public int hashCode() {
      return index;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Slot && ((Slot<?>) o).index == index;
    }
  }

  /** What a task sends back: its results as an array. */
  private static final class ToArray extends AbstractFunction2<TaskContext, scala.collection.Iterator<Object>,
      Object[]> implements Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object[] apply(TaskContext tc, scala.collection.Iterator<Object> it) {
      List<Object> l = new ArrayList<>();
      while (it.hasNext()) {
        l.add(it.next());
      }
      return l.toArray();
    }
  }

  /** Keeps each partition's results, on the driver. */
  private static final class Store extends AbstractFunction2<Object, Object[], BoxedUnit> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final transient Object[][] results;

    Store(Object[][] results) {
      this.results = results;
    }

    @Override
    public BoxedUnit apply(Object partition, Object[] r) {
      results[(Integer) partition] = r;
      return BoxedUnit.UNIT;
    }
  }
}
