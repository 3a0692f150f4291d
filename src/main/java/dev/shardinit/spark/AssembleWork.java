package dev.shardinit.spark;

import dev.shardinit.format.io.Fs;
import dev.shardinit.task.Assembly;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/** An assembly task: joins the parts of its packed files into whole files ({@link Assembly}). */
final class AssembleWork implements WorkJob.Work<WorkJob.Batch<Assembly.Job>, Long> {
  private static final long serialVersionUID = 1L;


  private final Broadcast<SerializableConfiguration> conf;
  private final String outUri;
  private final String runTag;
  private final LongAccumulator filesDone;
  private final LongAccumulator bytesDone;

  AssembleWork(Broadcast<SerializableConfiguration> conf, String outUri, String runTag, LongAccumulator filesDone,
      LongAccumulator bytesDone) {
    this.conf = conf;
    this.outUri = outUri;
    this.runTag = runTag;
    this.filesDone = filesDone;
    this.bytesDone = bytesDone;
  }

  @Override
  public List<Long> run(WorkJob.Batch<Assembly.Job> in, TaskContext tc) throws IOException {
    Path out = new Path(outUri);
    String attempt = runTag + "-" + tc.stageId() + "-" + tc.stageAttemptNumber() + "-" + tc.taskAttemptId();
    List<Long> sizes = new ArrayList<>();
    for (Assembly.Job j : in.items) {
      sizes.add(Assembly.assemble(Fs.of(out, conf.value().value()), out, j, runTag, attempt, bytesDone::add));
      filesDone.add(1);
    }
    return sizes;
  }
}
