package dev.shardinit.cli;

import dev.shardinit.init.InitException;
import dev.shardinit.spec.SpecException;
import java.io.File;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The shardinit command line: generate, plan, verify, inspect, gain. */
@Command(name = "shardinit", mixinStandardHelpOptions = true, version = "shardinit 0.1.0",
    description = "Generates torch.nn.init-compatible initial weights, sharded and layout-invariant, on Spark.",
    subcommands = {Generate.class, PlanCommand.class, Verify.class, Inspect.class, Export.class, SpecCommand.class, GainCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  /** Exit code for bad input (spec, arguments, an output that cannot be used): nothing was written. */
  public static final int BAD_INPUT = 2;
  /** Exit code for a failed run or a failed verification. */
  public static final int FAILED = 1;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: generate, plan, verify, inspect or gain");
  }

  /**
   * The process entry point: Spark's and Hadoop's logs go to a file unless {@code --verbose} is given (see
   * {@link Logs}); the log file is removed when the command succeeds and named when it fails.
   */
  public static void main(String[] args) {
    if (!Arrays.asList(args).contains("--verbose")) {
      Logs.toFile();
    }
    int code = run(args, System.out, System.err);
    if (code == 0) {
      Logs.discard();
    }
    System.exit(code);
  }

  /** Runs a command line with the given streams and returns the exit code (for tests and main). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new Main());
    PrintWriter errWriter = new PrintWriter(err, true);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(errWriter);
    cl.setParameterExceptionHandler((ex, a) -> {
      errWriter.println("shardinit: error: " + oneLine(ex.getMessage()) + " (see --help)");
      return BAD_INPUT;
    });
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      if (ex instanceof CliError || ex instanceof SpecException || ex instanceof InitException) {
        errWriter.println("shardinit: error: " + ex.getMessage());
        return BAD_INPUT;
      }
      if (ex instanceof Failed) {
        int code = ((Failed) ex).code;
        errWriter.println("shardinit: " + ex.getMessage() + (code == FAILED ? logNote() : ""));
        return code;
      }
      errWriter.println("shardinit: failed: " + describe(ex) + logNote());
      return FAILED;
    });
    try {
      return cl.execute(args);
    } catch (OutOfMemoryError e) { // picocli hands errors on; a command that ran out of heap gets one line too
      errWriter.println("shardinit: failed: out of memory (" + e.getMessage() + "); give the JVM more heap: "
          + "SHARDINIT_JAVA_OPTS=-Xmx8g for ./shardinit, --driver-memory for spark-submit" + logNote());
      return FAILED;
    }
  }

  private static String logNote() {
    File f = Logs.written();
    return f == null ? "" : " [log: " + f + "]";
  }

  /** The message of the innermost cause that says something, on one line (Spark wraps a task's failure). */
  static String describe(Throwable ex) {
    Throwable t = ex;
    while (t.getCause() != null && t.getCause() != t
        && (t.getMessage() == null || t instanceof org.apache.spark.SparkException
            || t instanceof java.io.UncheckedIOException || t instanceof java.util.concurrent.ExecutionException)) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return oneLine(m == null ? t.getClass().getSimpleName() : m);
  }

  static String oneLine(String s) {
    return s.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
