package dev.shardinit.cli;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * The Spark context of a command: the active session's if there is one (tests, notebooks), else a new
 * SparkContext. The commands use only Spark's core (RDDs), so they do not start Spark SQL, whose session
 * costs seconds more to start.
 */
final class Sessions {
  /**
   * How often executors report running tasks' counters to the driver (Spark's default is 10 s): the progress
   * line moves at this pace. Set only when the user's configuration does not set it.
   */
  static final String HEARTBEAT = "1s";

  private Sessions() {}

  /** A context and whether this command created it (and so must stop it). */
  static final class Handle implements AutoCloseable {
    final SparkContext sc;
    private final boolean owned;

    Handle(SparkContext sc, boolean owned) {
      this.sc = sc;
      this.owned = owned;
    }

    @Override
    public void close() {
      if (owned) {
        sc.stop();
      }
    }
  }

  private static SparkSession active() {
    return SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get()
        : SparkSession.getDefaultSession().isDefined() ? SparkSession.getDefaultSession().get() : null;
  }

  /**
   * The Hadoop configuration the command's Spark context will have, before it starts (so the output can be
   * checked and claimed first): the active session's, else Hadoop's defaults with every {@code spark.hadoop.*}
   * setting of the Spark configuration, as Spark builds it.
   */
  static Configuration hadoopConfiguration() {
    SparkSession s = active();
    if (s != null) {
      return s.sparkContext().hadoopConfiguration();
    }
    Configuration c = new Configuration();
    for (Tuple2<String, String> kv : new SparkConf().getAll()) {
      if (kv._1().startsWith("spark.hadoop.")) {
        c.set(kv._1().substring("spark.hadoop.".length()), kv._2());
      }
    }
    return c;
  }

  /** With no master configured (plain java, not spark-submit) the job runs on embedded local[*]. */
  static Handle open(String appName) {
    SparkSession active = active();
    if (active != null) {
      return new Handle(active.sparkContext(), false);
    }
    SparkConf conf = new SparkConf();
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.setAppName(appName);
    conf.setIfMissing("spark.ui.enabled", "false");
    conf.setIfMissing("spark.executor.heartbeatInterval", HEARTBEAT);
    return new Handle(new SparkContext(conf), true);
  }

  /** How long a standalone master may take to accept a connection before the command gives up on it. */
  static final int MASTER_CONNECT_MILLIS = 5000;

  /**
   * Before any work: a standalone master ({@code spark://host:port[,host:port]}) that no command would reach is a
   * one-line error naming {@code spark.master} (Spark itself would retry for a minute and fail with a stopped
   * context). Other masters (local, yarn, k8s) are left to Spark; so is a session that is already running.
   */
  static void checkMaster() {
    if (active() != null) {
      return;
    }
    String master = new SparkConf().get("spark.master", "");
    if (!master.startsWith("spark://")) {
      return;
    }
    String why = null;
    for (String hostPort : master.substring("spark://".length()).split(",")) {
      int colon = hostPort.lastIndexOf(':');
      try {
        String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
        int port = colon < 0 ? 7077 : Integer.parseInt(hostPort.substring(colon + 1));
        try (java.net.Socket s = new java.net.Socket()) {
          s.connect(new java.net.InetSocketAddress(host, port), MASTER_CONNECT_MILLIS);
          return; // one reachable master is enough
        }
      } catch (NumberFormatException e) {
        why = "'" + hostPort + "' has no port number";
      } catch (java.io.IOException | IllegalArgumentException e) {
        why = hostPort + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
      }
    }
    throw new CliError("spark.master: cannot reach the Spark master " + master + " (" + why + ")");
  }
}
