package dev.shardinit.cli;

import dev.shardinit.commit.OutputDir;
import dev.shardinit.commit.OutputException;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.ManifestCheck;
import dev.shardinit.format.ManifestJson;
import dev.shardinit.format.ManifestReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** A checkpoint directory as verify and inspect read it: its manifest, read and checked without the files. */
final class Checkpoint {
  final String given;
  final Path dir;
  final FileSystem fs;
  final ManifestJson.Read read;
  final ManifestCheck.Result check;

  private Checkpoint(String given, Path dir, FileSystem fs, ManifestJson.Read read) {
    this.given = given;
    this.dir = dir;
    this.fs = fs;
    this.read = read;
    this.check = ManifestCheck.check(read.manifest());
  }

  /**
   * Opens the checkpoint at {@code dir}.
   *
   * @throws CliError when there is no readable shardinit manifest of a version this code reads
   */
  static Checkpoint open(String dir, Configuration conf) {
    OutputDir d;
    try {
      d = OutputDir.of(dir, conf);
    } catch (OutputException e) {
      throw new CliError(e.getMessage().replaceFirst("^--out: ", ""));
    }
    try {
      return new Checkpoint(dir, d.path(), d.fs(), ManifestReader.load(d.fs(), d.path()));
    } catch (FileNotFoundException e) {
      throw new CliError(dir + ": no " + Manifest.FILE + " (not a checkpoint, or an incomplete one)");
    } catch (ManifestJson.ManifestException e) {
      throw new CliError(dir + ": " + Manifest.FILE + ": " + e.getMessage());
    } catch (IOException e) {
      throw new CliError(dir + ": cannot read " + Manifest.FILE + ": " + e.getMessage());
    }
  }

  Manifest manifest() {
    return read.manifest();
  }

  /** Every problem found in the manifest: its unreadable entries' and the structural checks'. */
  List<String> problems() {
    List<String> p = new ArrayList<>(read.problems());
    p.addAll(check.problems());
    return p;
  }
}
