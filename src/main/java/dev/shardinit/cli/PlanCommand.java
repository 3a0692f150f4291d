package dev.shardinit.cli;

import dev.shardinit.init.Initializer;
import dev.shardinit.format.safetensors.SafetensorsLayout;
import dev.shardinit.plan.Plan;
import dev.shardinit.plan.ByteSize;
import dev.shardinit.spec.JobSpec;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "plan", mixinStandardHelpOptions = true,
    description = "Prints how JOB would be cut into shards, files and tasks, without running anything.")
final class PlanCommand implements Callable<Integer> {
  @Spec
  CommandSpec cs;

  @Mixin
  JobOptions job;

  @Override
  public Integer call() {
    JobSpec spec = job.spec();
    Plan plan = job.plan(spec);
    job.warn(spec, cs.commandLine().getErr());
    PrintWriter o = cs.commandLine().getOut();
    Table t = new Table("tensor", "shape", "dtype", "init", "shards", "bytes", "(first) file");
    for (Plan.TensorPlan tp : plan.tensors()) {
      Initializer i = tp.init();
      t.row(i.target().name(), Arrays.toString(i.target().shape()), i.target().dtype().id(), i.fn(),
          Integer.toString(tp.shards().size()), ByteSize.show(tp.bytes()),
          tp.shards().isEmpty() ? "-" : tp.shards().get(0).path());
    }
    t.print(o);
    SafetensorsLayout layout = job.layout(spec, plan);
    if (layout == null) {
      o.printf("%d tensors, %d files, %d tasks, %s of values; seed %d, format %s, shard size %s%n",
          plan.tensors().size(), plan.shardCount(), plan.tasks().size(), ByteSize.show(plan.totalBytes()),
          spec.seed(), spec.format(), ByteSize.show(plan.shardBytes()));
    } else {
      o.printf("%d tensors, %d files (%s with headers; at most %,d bytes of values each), %d regions in %d tasks, "
          + "%s of values; seed %d, format %s, shard size %s%n", plan.tensors().size(), layout.files().size(),
          ByteSize.show(layout.size()), plan.maxFileBytes(), plan.shardCount(), plan.tasks().size(),
          ByteSize.show(plan.totalBytes()), spec.seed(), spec.format(), ByteSize.show(plan.shardBytes()));
    }
    o.flush();
    return 0;
  }
}
