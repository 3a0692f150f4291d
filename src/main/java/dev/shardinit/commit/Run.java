package dev.shardinit.commit;

import dev.shardinit.format.io.Fs;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.ManifestJson;
import dev.shardinit.format.safetensors.SafetensorsLayout;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One run's hold on its output, from the claim to the commit or the clean-up. The run's files go to
 * {@link #writeDir}: the output itself, or the staging directory when the run replaces a checkpoint.
 * {@link #commit} writes the manifest last (under a temporary name, renamed into place) and, for a replacing
 * run, swaps the new checkpoint in; {@link #abandon} removes what this run wrote and releases the claim. Either
 * way the claim is removed last, so a run killed half-way through leaves it, and its remains are recognisable.
 */
public final class Run {
  private final OutputDir out;
  private final String id;
  private final Path staging;
  private final boolean createdOut;
  private final ScheduledExecutorService heartbeat;
  /** The packed files this run writes, once {@link #prepare}d; null for a format of a file per shard. */
  private SafetensorsLayout packed;

  Run(OutputDir out, String id, Path staging, boolean createdOut) {
    this.out = out;
    this.id = id;
    this.staging = staging;
    this.createdOut = createdOut;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "shardinit-claim-heartbeat");
      t.setDaemon(true);
      return t;
    });
    Path claim = new Path(out.path(), Claim.FILE);
    heartbeat.scheduleWithFixedDelay(() -> refresh(claim), Claim.HEARTBEAT_MILLIS, Claim.HEARTBEAT_MILLIS,
        TimeUnit.MILLISECONDS);
  }

  private void refresh(Path claim) {
    FileSystem fs = out.fs();
    try {
      if (Fs.publishesOnClose(fs, claim)) {
        // an object's time is that of its last PUT, and setTimes does nothing there: the claim is written again
        byte[] b;
        try (java.io.InputStream in = fs.open(claim)) {
          b = in.readAllBytes();
        }
        try (java.io.OutputStream o = fs.create(claim, true)) {
          o.write(b);
        }
      } else {
        fs.setTimes(claim, System.currentTimeMillis(), -1);
      }
    } catch (IOException | RuntimeException e) {
      // a store without modification times: other hosts see the claim go stale after Claim.STALE_MILLIS
    }
  }

  /** The run's id (32 hex digits); its first 12 mark its temporary files and staging directory. */
  public String id() {
    return id;
  }

  /** A short form of the id, for file names. */
  public String shortId() {
    return Claim.shortId(id);
  }

  public FileSystem fs() {
    return out.fs();
  }

  /** Where the tensors and the manifest are written. */
  public Path writeDir() {
    return staging == null ? out.path() : staging;
  }

  /** Whether this run replaces a checkpoint (and writes beside it until the commit). */
  public boolean replaces() {
    return staging != null;
  }

  /**
   * Makes the packed files of {@code layout} in {@link #writeDir}, each under this run's temporary name with its
   * header, for the tasks to fill ({@link PackedFiles}); {@link #commit} renames them into place.
   */
  public void prepare(SafetensorsLayout layout) throws IOException {
    PackedFiles.prepare(out.fs(), writeDir(), shortId(), layout);
    packed = layout;
  }

  /**
   * Commits the checkpoint: packed files renamed into place and their index, if any; the manifest, written last; then, for a replacing run, the swap (the previous
   * checkpoint moved aside, the new one moved in, the previous one removed); then the claim is released.
   *
   * @return a warning for the user, or null (the previous checkpoint could not be removed: it is complete and
   *     harmless, but takes space)
   */
  public String commit(Manifest m) throws IOException {
    FileSystem fs = out.fs();
    if (packed != null) {
      PackedFiles.publish(fs, writeDir(), shortId(), packed, m.tensors());
    }
    ManifestJson.store(fs, writeDir(), m);
    heartbeat.shutdownNow();
    if (staging == null) {
      fs.delete(new Path(out.path(), Claim.FILE), false);
      return null;
    }
    Path old = Staging.aside(out.path(), id);
    if (!fs.rename(out.path(), old)) {
      throw new IOException("cannot move the previous checkpoint " + out.path() + " aside to " + old
          + "; the new one is complete at " + staging);
    }
    if (fs.exists(out.path()) || !fs.rename(staging, out.path())) {
      boolean back = !fs.exists(out.path()) && fs.rename(old, out.path());
      throw new IOException("cannot move the new checkpoint " + staging + " to " + out.path() + "; "
          + (back ? "the previous one is back in place" : "the previous one is at " + old));
    }
    fs.delete(new Path(out.path(), Staging.MARKER), false);
    try {
      remove(fs, old, Claim.FILE);
      return null;
    } catch (IOException e) {
      return "the previous checkpoint, moved aside to " + old + ", could not be removed: " + e.getMessage();
    }
  }

  /**
   * Removes everything this run wrote and releases the claim. A run that replaces a checkpoint leaves the
   * previous one as it was.
   *
   * @return what is left, for the user: "OUT removed", "OUT left empty" or "OUT keeps its previous checkpoint"
   */
  public String abandon() {
    heartbeat.shutdownNow();
    FileSystem fs = out.fs();
    try {
      if (staging != null) {
        remove(fs, staging, Staging.MARKER);
        fs.delete(new Path(out.path(), Claim.FILE), false);
        return out.given() + " keeps its previous checkpoint";
      }
      if (createdOut) {
        remove(fs, out.path(), Claim.FILE);
        return out.given() + " removed";
      }
      clear(fs, out.path(), entries(fs, out.path(), Claim.FILE));
      fs.delete(new Path(out.path(), Claim.FILE), false);
      return out.given() + " left empty";
    } catch (IOException e) {
      return "this run's files could not all be removed (" + e.getMessage() + "): " + out.given() + " has no "
          + Manifest.FILE + " and is not a checkpoint; --overwrite replaces it";
    }
  }

  /** What a hard stop now (no clean-up) would leave, for the user. */
  public String ifStoppedNow() {
    return staging != null
        ? out.given() + " keeps its previous checkpoint; the next --overwrite run removes this run's files at "
            + staging
        : out.given() + " has no " + Manifest.FILE + " and is not a checkpoint; --overwrite replaces it";
  }

  /** Deletes the top-level {@code entries} of {@code dir}, each with everything below it. */
  static void clear(FileSystem fs, Path dir, List<Path> entries) throws IOException {
    for (Path p : entries) {
      if (!fs.delete(p, true) && fs.exists(p)) {
        throw new IOException("cannot delete " + p);
      }
    }
  }

  /** Deletes {@code dir} and everything in it, the file {@code lastName} last (a mark of whose remains they are). */
  static void remove(FileSystem fs, Path dir, String lastName) throws IOException {
    if (!fs.exists(dir)) {
      return;
    }
    clear(fs, dir, entries(fs, dir, lastName));
    fs.delete(new Path(dir, lastName), false);
    if (!fs.delete(dir, true) && fs.exists(dir)) {
      throw new IOException("cannot delete " + dir);
    }
  }

  private static List<Path> entries(FileSystem fs, Path dir, String except) throws IOException {
    List<Path> l = new ArrayList<>();
    for (FileStatus st : fs.listStatus(dir)) {
      if (!st.getPath().getName().equals(except)) {
        l.add(st.getPath());
      }
    }
    return l;
  }
}
