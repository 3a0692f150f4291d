package dev.shardinit.spark

import org.apache.spark.TaskContext
import org.apache.spark.util.LongAccumulator

import java.util.concurrent.{CountDownLatch, TimeUnit}
import scala.concurrent.{Await, Future}
import scala.concurrent.ExecutionContext.Implicits.global
import scala.concurrent.duration._

/** Work that counts, then holds its task open until the test lets it go. */
class HoldWork(a: LongAccumulator, b: LongAccumulator) extends WorkJob.Work[Integer, Integer] {
  override def run(in: Integer, tc: TaskContext): java.util.List[Integer] = {
    a.add(7)
    b.add(1000)
    if (!Hold.release.await(60, TimeUnit.SECONDS)) throw new IllegalStateException("never released")
    java.util.List.of(in)
  }
}

object Hold {
  @volatile var release = new CountDownLatch(1)
}

/** The counters progress reads: a running task's counts reach the driver with the executor's heartbeat. */
class LiveCountersSuite extends SparkSuiteBase {
  test("a running task's counts reach the driver before the task ends, and are not counted twice after") {
    Hold.release = new CountDownLatch(1)
    val sc = spark.sparkContext
    val counters = new LiveCounters(sc, "test.a", "test.b").start()
    try {
      val job = new WorkJob[Integer, Integer](sc, java.util.List.of(Integer.valueOf(1)), new HoldWork(counters.first(), counters.second()))
      val done = Future(job.run())
      val deadline = System.nanoTime() + 60.seconds.toNanos
      // a heartbeat can come between the task's two adds (7 and 0), and the listener takes one counter at a time:
      // wait for both values, not for the first
      def arrived = counters.firstValue() == 7 && counters.secondValue() == 1000
      while (!arrived && System.nanoTime() < deadline) Thread.onSpinWait()
      assert(counters.firstValue() == 7 && counters.secondValue() == 1000, "the counts never arrived while the task ran")
      assert(counters.first().value == 0) // the accumulator itself has nothing until the task ends
      assert(!done.isCompleted)
      Hold.release.countDown()
      assert(Await.result(done, 60.seconds).asScala_ == Seq(1))
      assert(counters.first().value == 7 && counters.firstValue() == 7 && counters.secondValue() == 1000)
    } finally {
      Hold.release.countDown()
      counters.stop()
    }
  }

  private implicit class Seqs(l: java.util.List[Integer]) {
    def asScala_ : Seq[Int] = { import scala.jdk.CollectionConverters._; l.asScala.map(_.intValue).toSeq }
  }
}
