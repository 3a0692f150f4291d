package dev.shardinit.spark;

import dev.shardinit.format.safetensors.SafetensorsLayout;
import dev.shardinit.format.io.Fs;
import dev.shardinit.plan.Plan;
import dev.shardinit.task.Assembly;
import dev.shardinit.task.Receipt;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.util.SerializableConfiguration;

/**
 * The second step of a packed checkpoint on a file system without positional writes: once every region is a
 * part file, one task per packed file streams its header and parts, in order, into the file's temporary name;
 * then the parts are deleted. The files are then exactly those positional writes make.
 */
final class Assembler {
  private Assembler() {}

  /** Assembles the files of {@code layout} in {@code dir} from the regions the {@code receipts} name. */
  static void run(SparkContext sc, JobGroup jobs, SafetensorsLayout layout, List<Receipt> receipts, Path dir,
      String runTag) throws IOException {
    Map<String, List<long[]>> regions = new HashMap<>();
    for (Receipt r : receipts) {
      long offset = layout.dataOffsetOf(r.tensor, r.start);
      regions.computeIfAbsent(r.path, k -> new ArrayList<>()).add(new long[] {offset, r.bytes});
    }
    List<Assembly.Job> files = new ArrayList<>();
    for (SafetensorsLayout.File f : layout.files()) {
      List<long[]> l = regions.getOrDefault(f.name(), new ArrayList<>());
      l.sort(Comparator.comparingLong(a -> a[0]));
      long[] offsets = new long[l.size()];
      long[] bytes = new long[l.size()];
      for (int i = 0; i < l.size(); i++) {
        offsets[i] = l.get(i)[0];
        bytes[i] = l.get(i)[1];
      }
      files.add(new Assembly.Job(f.name(), f.header(), offsets, bytes));
    }
    List<WorkJob.Batch<Assembly.Job>> slices = WorkJob.batches(files, sc.defaultParallelism(),
        j -> j.header().length + java.util.Arrays.stream(j.bytes()).sum());
    LiveCounters counters = new LiveCounters(sc, "shardinit.assembled.files", "shardinit.assembled.bytes").start();
    try {
      jobs.run(new WorkJob<>(sc, slices, new AssembleWork(SerializableConfiguration.broadcast(sc),
          dir.toUri().toString(), runTag, counters.first(), counters.second())),
          "shardinit assemble: " + files.size() + " files");
    } finally {
      counters.stop();
    }
    FileSystem fs = Fs.of(dir, sc.hadoopConfiguration());
    for (SafetensorsLayout.File f : layout.files()) {
      fs.delete(new Path(dir, Plan.partsDir(f.name(), runTag)), true);
    }
  }
}
