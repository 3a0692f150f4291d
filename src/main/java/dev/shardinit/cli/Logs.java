package dev.shardinit.cli;

import java.io.File;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

/**
 * Where the logs of Spark, Hadoop and the file formats go. By default to a file of this process (warnings and
 * errors, created only if one is logged), so the console shows shardinit's own lines: progress and one line
 * per failure. {@code --verbose} leaves the logging configuration as it was (the launcher's conf/, or
 * spark-submit's), which logs to the console.
 */
final class Logs {
  private static File file;

  private Logs() {}

  /** Sends every log to a file of this process in the temporary directory. */
  static void toFile() {
    File f = new File(System.getProperty("java.io.tmpdir"), "shardinit-" + ProcessHandle.current().pid() + ".log");
    ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
    b.setStatusLevel(Level.ERROR);
    b.add(b.newAppender("file", "File")
        .addAttribute("fileName", f.getPath())
        .addAttribute("append", false)
        .addAttribute("createOnDemand", true)
        .add(b.newLayout("PatternLayout").addAttribute("pattern", "%d{HH:mm:ss.SSS} %p %c{1}: %m%n")));
    b.add(b.newRootLogger(Level.WARN).add(b.newAppenderRef("file")));
    Configurator.reconfigure(b.build());
    file = f;
  }

  /** The log file, if logging goes to one and anything was logged; else null. */
  static File written() {
    return file != null && file.length() > 0 ? file : null;
  }

  /** Removes the log file of a command that succeeded: nothing in it is needed. */
  static void discard() {
    if (file != null && file.exists() && !file.delete()) {
      file.deleteOnExit();
    }
  }
}
