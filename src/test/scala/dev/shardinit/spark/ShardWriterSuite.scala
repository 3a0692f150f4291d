package dev.shardinit.spark

import org.scalatest.funsuite.AnyFunSuite

import java.nio.ByteBuffer

/** The task side of a job without Spark. */
class ShardWriterSuite extends AnyFunSuite {
  test("the buffer pool hands each buffer out once, though buffers read to their end compare equal") {
    val size = (5 << 20) + 8 // larger than any buffer other tests leave in the pool
    val big = ByteBuffer.allocate(size)
    big.position(size)
    val small = ByteBuffer.allocate(size - 8)
    small.position(size - 8)
    assert(big == small) // ByteBuffer.equals compares what remains: nothing, in both
    ShardBuffers.give(big)
    ShardBuffers.give(small) // ahead of big in the pool
    val first = ShardBuffers.take(size)
    val second = ShardBuffers.take(size)
    assert((first eq big) && !(second eq big) && first.limit() == size && first.position() == 0)
  }
}
