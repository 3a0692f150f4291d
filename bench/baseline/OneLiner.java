import static org.apache.spark.sql.functions.randn;

import org.apache.spark.sql.SparkSession;

/**
 * The baseline shardinit must beat: Spark's own one-liner writing N float32 normal values to Parquet,
 * uncompressed. Run as a single-file program (java OneLiner.java N OUT MASTER) with Spark on the classpath;
 * prints the time of the write action alone (JVM and Spark start-up excluded).
 */
public class OneLiner {
  public static void main(String[] args) {
    long n = Long.parseLong(args[0]);
    String out = args[1];
    String master = args[2];
    SparkSession spark = SparkSession.builder().master(master).appName("one-liner")
        .config("spark.ui.enabled", "false").getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    long t0 = System.nanoTime();
    spark.range(n).select(randn(42).cast("float").as("v"))
        .write().option("compression", "none").mode("overwrite").parquet(out);
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf("oneliner_seconds %.3f%n", secs);
    spark.stop();
  }
}
