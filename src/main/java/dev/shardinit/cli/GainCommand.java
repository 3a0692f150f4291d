package dev.shardinit.cli;

import dev.shardinit.init.Gain;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "gain", mixinStandardHelpOptions = true,
    description = "Prints torch.nn.init.calculate_gain(NONLINEARITY, PARAM).")
final class GainCommand implements Callable<Integer> {
  @Spec
  CommandSpec cs;

  @Parameters(index = "0", paramLabel = "NONLINEARITY",
      description = "linear, conv1d, conv2d, conv3d, conv_transpose1d/2d/3d, sigmoid, tanh, relu, leaky_relu, selu")
  String nonlinearity;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PARAM", description = "leaky_relu's negative slope (default 0.01)")
  String param;

  @Override
  public Integer call() {
    Object p = null;
    if (param != null) {
      if (param.equals("True") || param.equals("False")) {
        p = Boolean.valueOf(param);
      } else {
        try {
          p = Double.valueOf(param);
        } catch (NumberFormatException e) {
          p = param;
        }
      }
    }
    cs.commandLine().getOut().println(Double.toString(Gain.calculate(nonlinearity, p)));
    cs.commandLine().getOut().flush();
    return 0;
  }
}
