package dev.shardinit.cli;

import dev.shardinit.commit.Claim;
import dev.shardinit.format.FileEntry;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.ManifestCheck;
import dev.shardinit.format.TensorEntry;
import dev.shardinit.format.safetensors.SafetensorsCheck;
import dev.shardinit.spark.Verifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.zip.CRC32;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true,
    description = {"Proves a checkpoint: checks its manifest (names, shapes, calls and what torch derives from "
        + "them, files tiling every tensor, checksums), lists missing and extra files, and regenerates files and "
        + "compares them with what is on disk, byte for byte.",
        "Exits 1 naming the tensor and file of every problem."})
final class Verify implements Callable<Integer> {
  @Spec
  CommandSpec cs;

  @Parameters(index = "0", paramLabel = "DIR", description = "A checkpoint directory (path or Hadoop URI).")
  String dir;

  @Option(names = "--sample", paramLabel = "FRACTION", defaultValue = "1",
      description = "Fraction of files to regenerate, chosen by a hash of their path, and at least one file of "
          + "every tensor (default: all). The manifest, missing and extra files are always checked.")
  double sample;

  @Option(names = "--partitions", paramLabel = "N",
      description = "Number of Spark partitions (default: four per core of the cluster's default parallelism).")
  Integer partitions;

  @Option(names = "--verbose", description = "Show Spark's and Hadoop's logs on the console.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    if (!(sample > 0 && sample <= 1)) {
      throw new CliError("--sample: must be in (0, 1], got " + sample);
    }
    if (partitions != null && partitions < 1) {
      throw new CliError("--partitions: must be at least 1, got " + partitions);
    }
    PrintWriter out = cs.commandLine().getOut();
    PrintWriter err = cs.commandLine().getErr();
    Sessions.checkMaster();
    Checkpoint c = Checkpoint.open(dir, Sessions.hadoopConfiguration());
    Manifest m = c.manifest();
    List<String> problems = c.problems();
    Map<String, Long> sizes = list(c.fs, c.dir);
    List<ManifestCheck.Regenerable> chosen = new ArrayList<>();
    long totalFiles = 0;
    long totalElements = 0;
    for (TensorEntry t : m.tensors()) {
      totalFiles += t.files().size();
      totalElements += t.numel();
      for (FileEntry f : t.files()) {
        if (!c.check.placed().contains(f.path())) {
          continue; // its path is reported, and not opened
        }
        Long size = sizes.get(f.path());
        if (m.fileFormat().packed()) {
          continue; // a region: its file is checked whole below
        }
        if (size == null) {
          problems.add("tensor '" + t.name() + "' file " + f.path() + ": missing");
        } else if (size != f.bytes()) {
          problems.add("tensor '" + t.name() + "' file " + f.path() + ": is " + size + " bytes, the manifest says "
              + f.bytes());
        }
      }
    }
    java.util.Set<String> packedNames = new java.util.HashSet<>();
    if (c.check.layout() != null) {
      problems.addAll(SafetensorsCheck.check(c.fs, c.dir, m, c.check.layout(), sizes));
      packedNames.addAll(SafetensorsCheck.names(c.check.layout()));
    }
    for (Map.Entry<String, Long> e : sizes.entrySet()) {
      if (!c.read.paths().contains(e.getKey()) && !packedNames.contains(e.getKey())
          && !e.getKey().equals(Manifest.FILE)
          && !(m.config() != null && e.getKey().equals(m.config().path()))
          && !e.getKey().equals(Claim.FILE)) {
        problems.add("extra file " + e.getKey() + ": not in " + Manifest.FILE);
      }
    }
    if (m.config() != null) {
      String problem = m.config().check(c.fs, c.dir);
      if (problem != null) {
        problems.add(problem);
      }
    }
    if (sizes.containsKey(Claim.FILE)) {
      err.println("shardinit: verify: note: " + dir + " holds a run's claim (" + Claim.FILE + "): a run is "
          + "replacing this checkpoint, or one died doing so; the checkpoint itself is checked as usual");
    }
    chosen.addAll(sample(c.check.files(), sizes));
    long chosenElements = 0;
    for (ManifestCheck.Regenerable r : chosen) {
      chosenElements += r.file().elements();
    }
    long chosenBytes = 0;
    for (ManifestCheck.Regenerable r : chosen) {
      chosenBytes += r.file().elements() * r.tensor().dtype().bytes();
    }
    long elements = 0;
    if (!chosen.isEmpty()) {
      try (Interrupts signals = Interrupts.install();
          Sessions.Handle h = Sessions.open("shardinit verify")) {
        signals.check();
        Verifier v = new Verifier(h.sc);
        signals.onSignal(v::cancel);
        Progress progress = new Progress(err, System.console() != null,
            m.fileFormat().packed() ? "regions checked" : "files checked", chosen.size(), chosenBytes);
        Verifier.Result r;
        try {
          r = v.run(m, c.dir, chosen, partitions == null ? 0 : partitions,
              counters -> progress.start(counters::firstValue, counters::secondValue));
        } catch (Exception e) {
          progress.finish(false);
          if (signals.received()) {
            throw new Failed(signals.exitCode(), "interrupted (" + signals.name() + "): verify stopped; "
                + problems.size() + " problem(s) found before it");
          }
          throw new Failed(Main.FAILED, "failed: " + Main.describe(e));
        }
        progress.finish(true);
        problems.addAll(r.problems());
        elements = r.elements();
      }
    }
    for (String p : problems) {
      err.println("shardinit: verify: " + p);
    }
    String checked = m.fileFormat().packed()
        ? String.format(Locale.ROOT, "%d of %d regions of %d files (%,d of %,d elements)", chosen.size(), totalFiles,
            m.fileCount(), elements, totalElements)
        : String.format(Locale.ROOT, "%d of %d files (%,d of %,d elements)", chosen.size(), totalFiles, elements,
            totalElements);
    if (problems.isEmpty()) {
      out.println("verified " + checked + ": manifest, values, layout, metadata and checksums match");
    } else {
      out.println("verify found " + problems.size() + " problem(s); regenerated " + checked);
    }
    out.flush();
    err.flush();
    return problems.isEmpty() ? 0 : Main.FAILED;
  }

  /**
   * The files to regenerate: those present whose path hashes below the fraction, and for every tensor with none
   * of those the one whose path hashes lowest, so every tensor is checked.
   */
  private List<ManifestCheck.Regenerable> sample(List<ManifestCheck.Regenerable> files, Map<String, Long> present) {
    List<ManifestCheck.Regenerable> chosen = new ArrayList<>();
    Map<String, ManifestCheck.Regenerable> lowest = new LinkedHashMap<>();
    Map<String, Boolean> has = new HashMap<>();
    for (ManifestCheck.Regenerable r : files) {
      if (!present.containsKey(r.file().path())) {
        continue;
      }
      String t = r.tensor().name();
      long h = hash(key(r));
      if (sample >= 1 || h < sample * 4294967296.0) {
        chosen.add(r);
        has.put(t, true);
      }
      ManifestCheck.Regenerable low = lowest.get(t);
      if (low == null || h < hash(key(low))) {
        lowest.put(t, r);
      }
    }
    for (Map.Entry<String, ManifestCheck.Regenerable> e : lowest.entrySet()) {
      if (!has.containsKey(e.getKey())) {
        chosen.add(e.getValue());
      }
    }
    return chosen;
  }

  /** What sampling hashes: a file's path, or a packed file's path and the region's first element. */
  private static String key(ManifestCheck.Regenerable r) {
    return r.file().offset() < 0 ? r.file().path() : r.file().path() + "@" + r.file().start();
  }

  private static long hash(String path) {
    CRC32 h = new CRC32();
    h.update(path.getBytes(StandardCharsets.UTF_8));
    return h.getValue();
  }

  /** Every file below {@code root}, relative to it, with its size. */
  private static Map<String, Long> list(FileSystem fs, Path root) throws IOException {
    Map<String, Long> m = new HashMap<>();
    collect(fs, root, "", m);
    return m;
  }

  private static void collect(FileSystem fs, Path dir, String prefix, Map<String, Long> m) throws IOException {
    for (FileStatus st : fs.listStatus(dir)) {
      String rel = prefix + st.getPath().getName();
      if (st.isDirectory()) {
        collect(fs, st.getPath(), rel + "/", m);
      } else {
        m.put(rel, st.getLen());
      }
    }
  }
}
