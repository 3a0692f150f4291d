package dev.shardinit.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Two counters of a running job as they stand on the executors, not only as finished tasks report them: an
 * accumulator reaches the driver's value when its task ends, but executors also send the values of running
 * tasks with each heartbeat ({@code spark.executor.heartbeatInterval}), which this listener keeps per task until
 * the task ends. A count is the accumulator's value plus the running tasks' latest values; it can run a little
 * ahead for a moment when a task ends, and never counts a failed attempt's values once it has ended.
 */
public final class LiveCounters extends SparkListener {
  private final SparkContext sc;
  private final LongAccumulator first;
  private final LongAccumulator second;
  /** Per running task: its latest values of the two counters. */
  private final Map<Long, long[]> running = new ConcurrentHashMap<>();
  /** Tasks that have ended: a heartbeat sent before a task ended can arrive after it. */
  private final java.util.Set<Long> ended = ConcurrentHashMap.newKeySet();

  LiveCounters(SparkContext sc, String firstName, String secondName) {
    this.sc = sc;
    this.first = sc.longAccumulator(firstName);
    this.second = sc.longAccumulator(secondName);
  }

  LongAccumulator first() {
    return first;
  }

  LongAccumulator second() {
    return second;
  }

  /** Listens until {@link #stop}. */
  LiveCounters start() {
    sc.addSparkListener(this);
    return this;
  }

  void stop() {
    sc.removeSparkListener(this);
    running.clear();
    ended.clear();
  }

  /** The first counter's live value. */
  public long firstValue() {
    long v = first.value();
    for (long[] t : running.values()) {
      v += t[0];
    }
    return v;
  }

  /** The second counter's live value. */
  public long secondValue() {
    long v = second.value();
    for (long[] t : running.values()) {
      v += t[1];
    }
    return v;
  }

  @Override
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
    for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> t
        : CollectionConverters.asJava(update.accumUpdates())) {
      long task = (Long) t._1();
      if (ended.contains(task)) {
        continue;
      }
      for (AccumulableInfo a : CollectionConverters.asJava(t._4())) {
        int which = a.id() == first.id() ? 0 : a.id() == second.id() ? 1 : -1;
        if (which >= 0 && a.update().isDefined() && a.update().get() instanceof Number) {
          running.computeIfAbsent(task, k -> new long[2])[which] = ((Number) a.update().get()).longValue();
        }
      }
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    ended.add(end.taskInfo().taskId());
    running.remove(end.taskInfo().taskId());
  }
}
