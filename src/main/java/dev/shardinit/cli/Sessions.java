package dev.shardinit.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The Spark session of a command: the active one if there is one (tests, notebooks), else a new one. */
final class Sessions {
  private Sessions() {}

  /** A session and whether this command created it (and so must stop it). */
  static final class Handle implements AutoCloseable {
    final SparkSession spark;
    private final boolean owned;

    Handle(SparkSession spark, boolean owned) {
      this.spark = spark;
      this.owned = owned;
    }

    @Override
    public void close() {
      if (owned) {
        spark.stop();
      }
    }
  }

  /** With no master configured (plain java, not spark-submit) the job runs on embedded local[*]. */
  static Handle open(String appName) {
    SparkSession active = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get()
        : SparkSession.getDefaultSession().isDefined() ? SparkSession.getDefaultSession().get() : null;
    if (active != null) {
      return new Handle(active, false);
    }
    SparkConf conf = new SparkConf();
    if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.setAppName(appName);
    conf.setIfMissing("spark.ui.enabled", "false");
    return new Handle(SparkSession.builder().config(conf).getOrCreate(), true);
  }
}
