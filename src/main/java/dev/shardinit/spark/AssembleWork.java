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
final class AssembleWork implements WorkJob.Work<AssembleWork.Slice, Long> {
  private static final long serialVersionUID = 1L;

  /** A partition's files. */
  static final class Slice implements Serializable {
    private static final long serialVersionUID = 1L;
    final List<Assembly.Job> files;

    Slice(List<Assembly.Job> files) {
      this.files = new ArrayList<>(files);
    }
  }

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
  public List<Long> run(Slice in, TaskContext tc) throws IOException {
    Path out = new Path(outUri);
    String attempt = runTag + "-" + tc.stageId() + "-" + tc.stageAttemptNumber() + "-" + tc.taskAttemptId();
    List<Long> sizes = new ArrayList<>();
    for (Assembly.Job j : in.files) {
      sizes.add(Assembly.assemble(Fs.of(out, conf.value().value()), out, j, runTag, attempt, bytesDone::add));
      filesDone.add(1);
    }
    return sizes;
  }
}
