package dev.shardinit.cli;

import dev.shardinit.init.InitException;
import dev.shardinit.spec.SpecException;
import java.io.PrintStream;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The shardinit command line: generate, plan, verify, inspect, gain. */
@Command(name = "shardinit", mixinStandardHelpOptions = true, version = "shardinit 0.1.0",
    description = "Generates torch.nn.init-compatible initial weights, sharded and layout-invariant, on Spark.",
    subcommands = {Generate.class, PlanCommand.class, Verify.class, Inspect.class, GainCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  /** Exit code for bad input (spec, arguments, existing output): nothing was written. */
  public static final int BAD_INPUT = 2;
  /** Exit code for a failed run or a failed verification. */
  public static final int FAILED = 1;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: generate, plan, verify, inspect or gain");
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs a command line with the given streams and returns the exit code (for tests and main). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cl = new CommandLine(new Main());
    PrintWriter errWriter = new PrintWriter(err, true);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(errWriter);
    cl.setParameterExceptionHandler((ex, a) -> {
      errWriter.println("shardinit: error: " + ex.getMessage() + " (see --help)");
      return BAD_INPUT;
    });
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      if (ex instanceof CliError || ex instanceof SpecException || ex instanceof InitException) {
        errWriter.println("shardinit: error: " + ex.getMessage());
        return BAD_INPUT;
      }
      errWriter.println("shardinit: failed: " + describe(ex));
      return FAILED;
    });
    return cl.execute(args);
  }

  static String describe(Throwable ex) {
    Throwable t = ex;
    while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t instanceof org.apache.spark.SparkException)) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return (m == null ? t.getClass().getSimpleName() : m).replace('\n', ' ');
  }
}
