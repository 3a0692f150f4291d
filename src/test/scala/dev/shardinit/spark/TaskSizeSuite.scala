package dev.shardinit.spark

import dev.shardinit.format.FileFormat
import dev.shardinit.task.Receipt
import dev.shardinit.init.{Dtype, Init, Initializer}
import dev.shardinit.plan.Plan
import org.apache.hadoop.fs.Path

import java.io.{ByteArrayOutputStream, ObjectOutputStream}
import scala.jdk.CollectionConverters._

/**
 * What a generate task carries: Spark sends the job's RDD and function to every task (the task binary) and each
 * task its own partition. The binary must not grow with the plan, and a partition must hold only its own
 * shards and the recipes of their tensors.
 */
class TaskSizeSuite extends SparkSuiteBase {
  private def serialized(o: AnyRef): Int = {
    val b = new ByteArrayOutputStream()
    val out = new ObjectOutputStream(b)
    out.writeObject(o)
    out.close()
    b.size()
  }

  private def plan(tensors: Int): Plan = {
    val inits: Seq[Initializer] = (0 until tensors).map(i =>
      Init.normal(dev.shardinit.init.Target.of(s"model.layers.$i.weight", Array(64L, 64L), Dtype.FLOAT32, 1L), 0.0, 0.02))
    Plan.of(inits.asJava, 1L << 20, FileFormat.PARQUET.extension())
  }

  private def job(p: Plan, partitions: Int): WorkJob[GenerateWork.Slice, Receipt] = {
    val counters = new LiveCounters(spark.sparkContext, "a", "b")
    new Generator(spark.sparkContext).job(p, FileFormat.PARQUET, new Path("file:///nowhere"), "run", partitions, counters, null)
  }

  test("the task binary does not grow with the plan: 10 or 10,000 tensors, the same size") {
    val small = serialized(job(plan(10), 2))
    val large = serialized(job(plan(10000), 2))
    assert(small == large, s"$small vs $large bytes")
    assert(large < 256 * 1024, s"$large bytes") // the Hadoop configuration, most of it
  }

  test("a partition carries its own shards and only its own tensors' recipes") {
    val p = plan(10000)
    val j = job(p, 100)
    val parts = j.getPartitions
    assert(parts.length == 100)
    val sizes = parts.map(serialized(_))
    val whole = serialized(job(p, 1).getPartitions()(0))
    assert(sizes.max < whole / 50, s"largest partition ${sizes.max} bytes, the whole plan's $whole")
    // each slice's recipes are exactly the tensors of its shards
    for (part <- parts) {
      val f = part.getClass.getDeclaredField("input")
      f.setAccessible(true)
      val slice = f.get(part).asInstanceOf[GenerateWork.Slice]
      assert(slice.recipes.keySet().asScala.toSet == slice.shards.asScala.map(_.tensor.toInt).toSet)
    }
    assert(parts.map { part =>
      val f = part.getClass.getDeclaredField("input"); f.setAccessible(true)
      f.get(part).asInstanceOf[GenerateWork.Slice].shards.size
    }.sum == p.shardCount())
  }
}
