package dev.shardinit.testing

import dev.shardinit.spark.SparkSuiteBase
import org.scalatest.BeforeAndAfterEach

/** A Spark suite whose runs may write through the `faulty:` file system: registered once, faults cleared after each test. */
abstract class FaultInjection extends SparkSuiteBase with BeforeAndAfterEach {
  override def beforeAll(): Unit = {
    super.beforeAll()
    Faults.register(spark.sparkContext.hadoopConfiguration)
  }

  override def afterEach(): Unit = {
    Faults.reset()
    super.afterEach()
  }
}
