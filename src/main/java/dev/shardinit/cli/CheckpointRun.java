package dev.shardinit.cli;

import dev.shardinit.commit.OutputDir;
import dev.shardinit.commit.OutputException;
import dev.shardinit.commit.Run;
import dev.shardinit.format.Manifest;
import dev.shardinit.spark.LiveCounters;
import java.io.PrintWriter;
import java.util.function.Consumer;
import org.apache.spark.SparkContext;

/**
 * What generate and export share: take the output (claim, staging, free space), run a Spark job that writes a
 * checkpoint into it with progress and signals, then commit it, or clean up and say what is left.
 */
final class CheckpointRun {
  private CheckpointRun() {}

  /** The job: writes into {@code run.writeDir()} and returns the manifest to commit. */
  @FunctionalInterface
  interface Job {
    /**
     * @param onCancel takes what cancels the job, for a signal
     * @param onStart  to give the job's live counters (files, bytes) when it starts
     */
    Manifest run(Run run, SparkContext sc, Consumer<Runnable> onCancel, Consumer<LiveCounters> onStart)
        throws Exception;
  }

  /** Seconds of the whole command so far and of the job alone. */
  record Times(double seconds, double jobSeconds) {}

  /**
   * Runs {@code job} into {@code output}, which needs about {@code needed} bytes; {@code given} is the output as
   * the user wrote it, for messages.
   *
   * @throws CliError when the output cannot be taken
   * @throws Failed   when the job fails or is interrupted (after the clean-up)
   */
  static Times execute(OutputDir output, String given, boolean overwrite, long needed, boolean spaceCheck, String app,
      Progress progress, PrintWriter err, Job job) {
    Sessions.checkMaster();
    long t0 = System.nanoTime();
    long jobStart;
    long jobEnd;
    try (Interrupts signals = Interrupts.install()) {
      Run run;
      try {
        run = output.start(overwrite, needed, spaceCheck);
      } catch (OutputException e) {
        throw new CliError(e.getMessage());
      }
      signals.onSecondSignal(run::ifStoppedNow);
      Manifest manifest;
      try {
        try (Sessions.Handle h = Sessions.open(app)) {
          signals.check();
          jobStart = System.nanoTime();
          manifest = job.run(run, h.sc, signals::onSignal, c -> progress.start(c::firstValue, c::secondValue));
          jobEnd = System.nanoTime();
          signals.check();
        }
      } catch (Exception | Error e) {
        progress.finish(false);
        String left = run.abandon();
        if (signals.received()) {
          throw new Failed(signals.exitCode(), "interrupted (" + signals.name() + "): " + left);
        }
        throw new Failed(Main.FAILED, "failed: " + Main.describe(e) + " (" + left + ")");
      }
      progress.finish(true);
      String warning;
      try {
        warning = run.commit(manifest);
      } catch (Exception e) {
        throw new Failed(Main.FAILED, "failed: " + Main.describe(e));
      }
      if (warning != null) {
        err.println("shardinit: warning: " + warning);
      }
      if (signals.received()) {
        throw new Failed(signals.exitCode(), "interrupted (" + signals.name() + ") after the checkpoint was "
            + "committed: " + given + " is complete");
      }
    }
    return new Times((System.nanoTime() - t0) / 1e9, (jobEnd - jobStart) / 1e9);
  }

  /** The output directory, or a one-line error naming --out. */
  static OutputDir output(String out) {
    try {
      return OutputDir.of(out, Sessions.hadoopConfiguration());
    } catch (OutputException e) {
      throw new CliError(e.getMessage());
    }
  }
}
