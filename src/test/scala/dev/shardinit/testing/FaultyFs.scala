package dev.shardinit.testing

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.permission.FsPermission
import org.apache.hadoop.fs.{FSDataOutputStream, FsStatus, Path, RawLocalFileSystem}
import org.apache.hadoop.util.Progressable

import java.io.{IOException, OutputStream}
import java.net.URI

/**
 * The local file system under the scheme `faulty:`, with faults the tests choose: writes to files whose name
 * matches a pattern fail after a number of bytes ("No space left on device"), renames to such names fail, and
 * the free space it reports can be set, and the first file created whose name matches a stall pattern, among
 * all the JVMs that share a marker file, can stall (a disk that hangs: its creation waits until the attempt is
 * killed, or for a long time). Registered as `fs.faulty.impl` (in a test's Spark configuration, or
 * with -Dspark.hadoop.fs.faulty.impl for a shardinit process); in another process the faults come from system
 * properties `shardinit.test.faulty.*`. Product code knows nothing of it.
 */
class FaultyFs extends RawLocalFileSystem {
  override def getUri: URI = URI.create("faulty:///")
  override def getScheme: String = "faulty"

  override def initialize(uri: URI, conf: Configuration): Unit = {
    super.initialize(uri, conf)
    Faults.fromSystemProperties()
  }

  override def create(f: Path, permission: FsPermission, overwrite: Boolean, bufferSize: Int, replication: Short,
      blockSize: Long, progress: Progressable): FSDataOutputStream =
    wrap(f, super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress))

  override def create(f: Path, overwrite: Boolean, bufferSize: Int, replication: Short, blockSize: Long,
      progress: Progressable): FSDataOutputStream =
    wrap(f, super.create(f, overwrite, bufferSize, replication, blockSize, progress))

  override def rename(src: Path, dst: Path): Boolean = {
    if (Faults.matches(dst) && Faults.renameFailures.getAndUpdate(n => if (n > 0) n - 1 else 0) > 0)
      throw new IOException(s"injected rename failure: $dst")
    super.rename(src, dst)
  }

  /** The stalled attempt's disk: it waits, and a kill (an interrupt) ends the wait as an I/O error. */
  private def stall(): Unit =
    try Thread.sleep(Faults.stallMillis)
    catch { case _: InterruptedException => throw new java.io.InterruptedIOException("stalled write interrupted") }

  override def getStatus(p: Path): FsStatus =
    if (Faults.free >= 0) new FsStatus(Faults.free * 2, Faults.free, Faults.free) else super.getStatus(p)

  private def wrap(f: Path, out: FSDataOutputStream): FSDataOutputStream = {
    Faults.created.add(f.getName)
    if (Faults.stalls(f)) stall()
    if (Faults.writeLimit < 0 || !Faults.matches(f)) out
    else new FSDataOutputStream(new OutputStream {
      private var written = 0L
      private def room(n: Int): Unit = {
        written += n
        if (written > Faults.writeLimit) throw new IOException(Faults.message)
      }
      override def write(b: Int): Unit = { room(1); out.write(b) }
      override def write(b: Array[Byte], off: Int, len: Int): Unit = { room(len); out.write(b, off, len) }
      override def flush(): Unit = out.flush()
      override def close(): Unit = out.close()
    }, null)
  }
}

/** The faults of this JVM's FaultyFs instances. */
object Faults {
  /** Files whose name matches stall (null: none), the first of them in every JVM sharing `stallMarker`. */
  @volatile var stallPattern: String = null
  @volatile var stallMarker: String = null
  @volatile var stallMillis: Long = 0

  /** True for the first file matching the stall pattern: the one whose creator made the marker. */
  private[testing] def stalls(p: Path): Boolean =
    stallPattern != null && p.getName.matches(stallPattern) &&
      (try { java.nio.file.Files.createFile(java.nio.file.Paths.get(stallMarker)); true }
       catch { case _: java.nio.file.FileAlreadyExistsException => false })

  @volatile var pattern: String = ".*"
  @volatile var writeLimit: Long = -1
  @volatile var message: String = "No space left on device"
  /** How many more renames to a matching name fail. */
  val renameFailures = new java.util.concurrent.atomic.AtomicInteger()
  @volatile var free: Long = -1
  /** The names of the files created, in order. */
  val created = new java.util.concurrent.ConcurrentLinkedQueue[String]()

  def matches(p: Path): Boolean = p.getName.matches(pattern)

  def reset(): Unit = {
    pattern = ".*"; writeLimit = -1; message = "No space left on device"; renameFailures.set(0); free = -1
    stallPattern = null; stallMarker = null; stallMillis = 0
    created.clear()
  }

  /** Scheme registration for a Hadoop configuration. */
  def register(conf: Configuration): Unit = conf.set("fs.faulty.impl", classOf[FaultyFs].getName)

  private[testing] def fromSystemProperties(): Unit = {
    sys.props.get("shardinit.test.faulty.pattern").foreach(pattern = _)
    sys.props.get("shardinit.test.faulty.writeLimit").foreach(v => writeLimit = v.toLong)
    sys.props.get("shardinit.test.faulty.free").foreach(v => free = v.toLong)
    sys.props.get("shardinit.test.faulty.stallPattern").foreach(stallPattern = _)
    sys.props.get("shardinit.test.faulty.stallMarker").foreach(stallMarker = _)
    sys.props.get("shardinit.test.faulty.stallMillis").foreach(v => stallMillis = v.toLong)
  }
}
