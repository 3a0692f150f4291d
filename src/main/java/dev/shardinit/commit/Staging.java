package dev.shardinit.commit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The directory in which a run that replaces a checkpoint builds the new one: a hidden sibling of the output,
 * {@code .<name>.shardinit-<run>}, marked as that run's by the file {@value #MARKER} holding its id.
 */
final class Staging {
  static final String MARKER = ".shardinit-staging";

  private Staging() {}

  static Path create(FileSystem fs, Path out, String runId) throws IOException {
    Path s = new Path(out.getParent(), "." + out.getName() + ".shardinit-" + Claim.shortId(runId));
    if (fs.exists(s) || !fs.mkdirs(s)) {
      throw new IOException("cannot create the staging directory " + s);
    }
    try (OutputStream o = fs.create(new Path(s, MARKER), false)) {
      o.write(runId.getBytes(StandardCharsets.UTF_8));
    }
    return s;
  }

  /** The previous checkpoint's place while the new one is moved in. */
  static Path aside(Path out, String runId) {
    return new Path(out.getParent(), "." + out.getName() + ".shardinit-" + Claim.shortId(runId) + "-old");
  }

  /** Removes a dead run's staging directory, if it is there and marked as that run's; leaves anything else. */
  static void removeIfOf(FileSystem fs, Path staging, String runId) throws IOException {
    Path marker = new Path(staging, MARKER);
    if (!fs.exists(marker)) {
      return;
    }
    try (InputStream in = fs.open(marker)) {
      if (!new String(in.readAllBytes(), StandardCharsets.UTF_8).equals(runId)) {
        return;
      }
    }
    Run.remove(fs, staging, MARKER);
  }
}
