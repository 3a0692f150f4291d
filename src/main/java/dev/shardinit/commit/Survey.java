package dev.shardinit.commit;

import dev.shardinit.format.ConfigFile;
import dev.shardinit.format.Manifest;
import dev.shardinit.format.ManifestJson;
import dev.shardinit.format.ManifestReader;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What an existing output directory holds, sorted into what a shardinit run made and everything else: the
 * manifest (and whether it is a shardinit manifest), a run's claim, and the data files and temporary files of
 * tensor directories. Only a directory whose every entry is shardinit's may be replaced.
 */
final class Survey {
  /** A data file's name ({@code part-<first element>.<ext>}). */
  private static final Pattern PART = Pattern.compile("part-[0-9]{12,}\\.(parquet|arrow)");
  /** A safetensors file or index of a checkpoint ({@code format/safetensors/Safetensors}). */
  private static final Pattern PACKED = Pattern.compile(
      "model(-[0-9]{5,}-of-[0-9]{5,})?\\.safetensors|model\\.safetensors\\.index\\.json");
  /** A task attempt's temporary file, a run's packed file or index, or the manifest's (hidden, ending in .tmp). */
  private static final Pattern TEMP = Pattern.compile("\\.+(part-[0-9]{12,}\\.(parquet|arrow)|manifest\\.json|config\\.json|"
      + PACKED.pattern() + ")\\..*tmp");
  /** A run's part files of a packed file, on a file system without positional writes (plan.Plan#partsDir). */
  private static final Pattern PARTS = Pattern.compile("\\.(" + PACKED.pattern() + ")\\..*\\.parts");
  /** A dead claim being taken over ({@link OutputDir}). */
  private static final Pattern DEAD_CLAIM = Pattern.compile(Pattern.quote(Claim.FILE) + "\\..*\\.dead");

  /** No entries at all. */
  boolean empty = true;
  /** The manifest: null when absent; else whether it reads as a shardinit manifest, and if not why. */
  Boolean manifestOurs;
  String manifestProblem;
  /** The claim file, if any, and what it holds (empty when it holds no readable claim). */
  boolean hasClaim;
  Optional<Claim> claim = Optional.empty();
  long claimRefreshed;
  /** Entries that are not shardinit's, relative to the directory. */
  final List<String> foreign = new ArrayList<>();
  /** Top-level entries other than the claim (what clearing the directory removes). */
  final List<Path> entries = new ArrayList<>();

  static Survey of(FileSystem fs, Path dir) throws IOException {
    Survey s = new Survey();
    Set<String> listed = Set.of();
    Path manifest = new Path(dir, Manifest.FILE);
    if (fs.exists(manifest)) {
      try {
        ManifestJson.Read read = ManifestReader.load(fs, dir);
        listed = new java.util.HashSet<>(read.paths());
        if (read.manifest().config() != null) {
          listed.add(read.manifest().config().path());
        }
        s.manifestOurs = true;
      } catch (ManifestJson.ManifestException e) {
        s.manifestOurs = false;
        s.manifestProblem = e.getMessage();
      }
    }
    boolean claimed = fs.exists(new Path(dir, Claim.FILE));
    for (FileStatus st : fs.listStatus(dir)) {
      s.empty = false;
      String name = st.getPath().getName();
      if (name.equals(Claim.FILE) && st.isFile()) {
        s.hasClaim = true;
        s.claimRefreshed = st.getModificationTime();
        try (InputStream in = fs.open(st.getPath())) {
          s.claim = Claim.parse(in.readAllBytes());
        }
        continue;
      }
      s.entries.add(st.getPath());
      if (st.isFile()) {
        boolean ours = name.equals(Manifest.FILE) ? Boolean.TRUE.equals(s.manifestOurs)
            : TEMP.matcher(name).matches() || DEAD_CLAIM.matcher(name).matches() || name.equals(Staging.MARKER)
            // a packed file is ours when our manifest lists it, or a run (maybe dead) claims the directory
            || name.equals(ConfigFile.FILE) && (listed.contains(name) || claimed)
            || PACKED.matcher(name).matches() && (listed.contains(name) || claimed
                || Boolean.TRUE.equals(s.manifestOurs) && name.endsWith(".json"));
        if (!ours) {
          s.foreign.add(name);
        }
      } else if (name.startsWith(".")) {
        if (!PARTS.matcher(name).matches()) {
          s.foreign.add(name + "/"); // tensor directories are never hidden
        }
      } else {
        for (FileStatus f : fs.listStatus(st.getPath())) {
          String rel = name + "/" + f.getPath().getName();
          String n = f.getPath().getName();
          if (!f.isFile() || !(listed.contains(rel) || PART.matcher(n).matches() || TEMP.matcher(n).matches())) {
            s.foreign.add(rel + (f.isFile() ? "" : "/"));
          }
        }
      }
    }
    return s;
  }

  /** The first few foreign entries, for a message. */
  String foreignSample() {
    java.util.Collections.sort(foreign);
    List<String> shown = foreign.subList(0, Math.min(3, foreign.size()));
    return String.join(", ", shown) + (foreign.size() > shown.size() ? " (and " + (foreign.size() - shown.size())
        + " more)" : "");
  }
}
