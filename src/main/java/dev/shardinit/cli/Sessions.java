package dev.shardinit.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark context of a command: the active session's if there is one (tests, notebooks), else a new
 * SparkContext. The commands use only Spark's core (RDDs), so they do not start Spark SQL: a SparkSession
 * costs about two more seconds of start-up on a 2-core machine.
 */
final class Sessions {
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

  /** With no master configured (plain java, not spark-submit) the job runs on embedded local[*]. */
  static Handle open(String appName) {
    SparkSession active = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get()
        : SparkSession.getDefaultSession().isDefined() ? SparkSession.getDefaultSession().get() : null;
    if (active != null) {
      return new Handle(active.sparkContext(), false);
    }
    SparkConf conf = new SparkConf();
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.setAppName(appName);
    conf.setIfMissing("spark.ui.enabled", "false");
    return new Handle(new SparkContext(conf), true);
  }
}
