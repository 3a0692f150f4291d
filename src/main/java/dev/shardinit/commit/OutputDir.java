package dev.shardinit.commit;

import dev.shardinit.format.io.Fs;
import dev.shardinit.plan.ByteSize;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FsStatus;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The directory a run writes a checkpoint to ({@code --out}), and how a run takes it (docs/FORMAT.md, "Runs and
 * the output directory"):
 *
 * <ul>
 *   <li>a directory that does not exist, or is empty, is claimed and written in place;
 *   <li>one that holds a checkpoint is replaced only with {@code overwrite}, only if every entry in it is a
 *       shardinit checkpoint's, and only on success: the new checkpoint is staged in a hidden sibling directory
 *       and swapped in by two renames once it is complete, so a failed or interrupted run leaves the old one;
 *   <li>one that holds the remains of a run that died (its claim, no manifest) is cleared, with
 *       {@code overwrite}, and written in place;
 *   <li>one that a live run claims is refused, always; so is anything that is not shardinit's.
 * </ul>
 */
public final class OutputDir {
  private final String given;
  private final FileSystem fs;
  private final Path path;

  private OutputDir(String given, FileSystem fs, Path path) {
    this.given = given;
    this.fs = fs;
    this.path = path;
  }

  /**
   * The output {@code out} (a path or a Hadoop FileSystem URI).
   *
   * @throws OutputException when it is empty, names no file system on the classpath or one that cannot be
   *     reached
   */
  public static OutputDir of(String out, Configuration conf) {
    if (out == null || out.isBlank()) {
      throw new OutputException("--out: must not be empty");
    }
    try {
      Path p = new Path(out);
      FileSystem fs = Fs.of(p, conf);
      Path q = fs.makeQualified(p);
      fs.exists(q); // reach it now: an unknown host or a refused connection is bad input, found before anything runs
      return new OutputDir(out, fs, q);
    } catch (IOException | IllegalArgumentException e) {
      throw new OutputException("--out: cannot use " + out + ": " + reason(e));
    }
  }

  private static String reason(Exception e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      // hadoop-aws's "no credentials" (NoAwsCredentialsException is one): which settings give them, not the chain
      if (c.getClass().getName().equals("org.apache.hadoop.fs.s3a.auth.NoAuthWithAWSException")
          || c.getClass().getName().equals("org.apache.hadoop.fs.s3a.auth.NoAwsCredentialsException")) {
        return "no credentials for the object store: set fs.s3a.access.key and fs.s3a.secret.key (as "
            + "spark.hadoop.fs.s3a.access.key and spark.hadoop.fs.s3a.secret.key, or in core-site.xml), or "
            + "fs.s3a.aws.credentials.provider";
      }
    }
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t.getMessage().contains(
        t.getCause().toString()))) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return m.replace('\n', ' ');
  }

  public FileSystem fs() {
    return fs;
  }

  public Path path() {
    return path;
  }

  /** The output as the user gave it. */
  public String given() {
    return given;
  }

  /**
   * Takes the output for a new run that will write about {@code bytesNeeded} bytes: decides where it writes,
   * claims the directory and creates what it needs. Nothing is created or removed when it refuses.
   *
   * @param overwrite  whether a checkpoint, or a dead run's remains, may be replaced
   * @param checkSpace whether to refuse when the file system reports less free space than {@code bytesNeeded}
   * @throws OutputException naming {@code --out} and why, when the output cannot be taken
   */
  public Run start(boolean overwrite, long bytesNeeded, boolean checkSpace) {
    String runId = UUID.randomUUID().toString().replace("-", "");
    try {
      if (!fs.exists(path)) {
        if (checkSpace) {
          checkSpace(bytesNeeded);
        }
        boolean created;
        try {
          created = !fs.exists(path) && fs.mkdirs(path);
        } catch (IOException e) {
          throw new OutputException("--out: cannot create output directory " + given + ": " + reason(e));
        }
        if (!fs.exists(path) || !fs.getFileStatus(path).isDirectory()) {
          throw new OutputException("--out: cannot create output directory " + given);
        }
        return claimFresh(runId, created);
      }
      if (!fs.getFileStatus(path).isDirectory()) {
        throw new OutputException("--out: " + given + " exists and is not a directory");
      }
      Survey s = Survey.of(fs, path);
      if (s.hasClaim) {
        Claim c = s.claim.orElse(null);
        boolean alive = c == null ? System.currentTimeMillis() - s.claimRefreshed < Claim.STALE_MILLIS
            : c.alive(s.claimRefreshed);
        String holder = c == null ? "another shardinit run" : c.describe();
        if (alive) {
          throw new OutputException("--out: " + given + " is in use by " + holder + "; wait for it to end or "
              + "choose another --out");
        }
        if (!overwrite) {
          throw new OutputException("--out: " + given + " holds " + (Boolean.TRUE.equals(s.manifestOurs)
              ? "a checkpoint and the claim" : "the remains") + " of " + holder + ", which is no longer running; "
              + "pass --overwrite to replace " + (Boolean.TRUE.equals(s.manifestOurs) ? "it" : "them"));
        }
      } else if (s.empty) {
        if (checkSpace) {
          checkSpace(bytesNeeded);
        }
        return claimFresh(runId, false);
      } else if (!overwrite) {
        throw new OutputException("--out: output directory " + given + " exists (pass --overwrite to replace it)");
      }
      if (Boolean.FALSE.equals(s.manifestOurs)) {
        throw new OutputException("--out: refusing to overwrite " + given + ": its " + dev.shardinit.format.Manifest.FILE
            + " is " + s.manifestProblem);
      }
      if (!s.foreign.isEmpty()) {
        throw new OutputException("--out: refusing to overwrite " + given + ": it holds what is not a shardinit "
            + "checkpoint's: " + s.foreignSample());
      }
      if (Boolean.TRUE.equals(s.manifestOurs) && Fs.publishesOnClose(fs, path)) {
        // no atomic directory rename on an object store (a rename copies every object): a checkpoint there could
        // only be replaced in place, and a rerun that failed would have lost it (docs/FORMAT.md)
        throw new OutputException("--out: refusing to replace the checkpoint in " + given + ": an object store "
            + "cannot swap it atomically, so a failed rerun would lose it; delete it first, or write to another "
            + "--out");
      }
      if (checkSpace) {
        checkSpace(bytesNeeded);
      }
      takeOver(s, runId);
      if (Boolean.TRUE.equals(s.manifestOurs)) {
        return stage(runId);
      }
      Run.clear(fs, path, s.entries); // a dead run's remains: nothing worth keeping
      return new Run(this, runId, null, false);
    } catch (IOException e) {
      throw new OutputException("--out: cannot use " + given + ": " + reason(e));
    }
  }

  /** Claims a directory that is new or empty: the claim is created only if no other run made one first. */
  private Run claimFresh(String runId, boolean created) throws IOException {
    Path claim = new Path(path, Claim.FILE);
    try (OutputStream o = fs.create(claim, false)) {
      o.write(Claim.mine(runId, null).toBytes());
    } catch (FileAlreadyExistsException e) {
      throw new OutputException("--out: " + given + " is in use by " + holder(claim) + "; wait for it to end or "
          + "choose another --out");
    }
    return new Run(this, runId, null, created);
  }

  /**
   * Takes the claim of a directory that holds no claim or a dead run's: the dead claim is renamed aside (only
   * one taker can rename it), checked to be the one judged dead, and replaced by this run's; the dead run's
   * staging directory, if it left one, is removed.
   */
  private void takeOver(Survey s, String runId) throws IOException {
    Path claim = new Path(path, Claim.FILE);
    Claim mine = Claim.mine(runId, null);
    if (s.hasClaim) {
      Path aside = new Path(path, Claim.FILE + "." + runId + ".dead");
      byte[] judged = s.claim.map(Claim::toBytes).orElse(null);
      if (!fs.rename(claim, aside)) {
        throw new OutputException("--out: " + given + " is in use by " + holder(claim));
      }
      byte[] taken = read(aside);
      Optional<Claim> was = Claim.parse(taken);
      if (judged != null && (was.isEmpty() || !was.get().run().equals(s.claim.get().run()))) {
        fs.rename(aside, claim); // another run's fresh claim: give it back
        throw new OutputException("--out: " + given + " is in use by " + holder(claim));
      }
      try (OutputStream o = fs.create(claim, false)) {
        o.write(mine.toBytes());
      } catch (FileAlreadyExistsException e) {
        throw new OutputException("--out: " + given + " is in use by " + holder(claim));
      }
      fs.delete(aside, false);
      if (was.isPresent() && was.get().staging() != null) {
        Staging.removeIfOf(fs, new Path(was.get().staging()), was.get().run());
      }
    } else {
      try (OutputStream o = fs.create(claim, false)) {
        o.write(mine.toBytes());
      } catch (FileAlreadyExistsException e) {
        throw new OutputException("--out: " + given + " is in use by " + holder(claim));
      }
    }
  }

  /** A run that replaces the checkpoint here: it writes into a new staging directory beside it. */
  private Run stage(String runId) throws IOException {
    if (path.getParent() == null) {
      throw new OutputException("--out: cannot replace " + given + ": a file system's root has no place beside it "
          + "to build the new checkpoint in");
    }
    Path staging = Staging.create(fs, path, runId);
    Path claim = new Path(path, Claim.FILE);
    try (OutputStream o = fs.create(claim, true)) { // record the staging directory, for whoever finds us dead
      o.write(Claim.mine(runId, staging.toString()).toBytes());
    }
    return new Run(this, runId, staging, false);
  }

  private String holder(Path claim) {
    try {
      return Claim.parse(read(claim)).map(Claim::describe).orElse("another shardinit run");
    } catch (IOException e) {
      return "another shardinit run";
    }
  }

  private byte[] read(Path p) throws IOException {
    try (InputStream in = fs.open(p)) {
      return in.readAllBytes();
    }
  }

  /** Refuses when the file system says it has less free space than {@code bytes}; says nothing when it cannot tell. */
  private void checkSpace(long bytes) throws IOException {
    long free = freeBytes();
    if (free >= 0 && free < bytes) {
      throw new OutputException("--out: the checkpoint needs about " + ByteSize.show(bytes) + " but " + given + "'s file "
          + "system has " + ByteSize.show(free) + " free (pass --no-space-check to write anyway)");
    }
  }

  /**
   * Bytes a new file could take here, or -1 when the file system cannot tell: for local files the space the
   * JVM may use on the nearest existing directory's volume; elsewhere the remaining space the file system
   * reports, divided by its replication.
   */
  long freeBytes() throws IOException {
    Path p = path;
    while (p != null && !fs.exists(p)) {
      p = p.getParent();
    }
    if (p == null) {
      return -1;
    }
    if (fs instanceof LocalFileSystem) {
      return Files.getFileStore(((RawLocalFileSystem) ((LocalFileSystem) fs).getRaw()).pathToFile(p).toPath())
          .getUsableSpace();
    }
    if (fs instanceof RawLocalFileSystem && fs.getClass() == dev.shardinit.format.io.LocalFs.class) {
      return Files.getFileStore(((RawLocalFileSystem) fs).pathToFile(p).toPath()).getUsableSpace();
    }
    FsStatus st = fs.getStatus(p);
    if (st.getCapacity() == Long.MAX_VALUE || st.getRemaining() <= 0) {
      return -1; // the default answer of stores that do not know (object stores)
    }
    return st.getRemaining() / Math.max(1, fs.getDefaultReplication(p));
  }
}
