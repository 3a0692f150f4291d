package dev.shardinit.format;

import dev.shardinit.plan.Layout;
import dev.shardinit.rng.Stream;
import java.util.List;

/**
 * A checkpoint's manifest.json, typed (docs/FORMAT.md): the versions, the seed, the file format, the row cap,
 * for a packed format (safetensors) the maximum bytes of values a file holds (else null), every tensor with
 * its files, and the model's config.json when the job came from one (else null). {@link ManifestJson} is its only reader and writer; the names of the files a
 * checkpoint holds are here.
 */
public record Manifest(int formatVersion, String specVersion, long seed, FileFormat fileFormat, long pieceCap,
    Long maxFileBytes, List<TensorEntry> tensors, ConfigFile config) {
  /** The manifest file's name in the output directory. Its presence means the checkpoint is complete. */
  public static final String FILE = "manifest.json";
  /** The value of the manifest's {@code format} field. */
  public static final String FORMAT = "shardinit-checkpoint";
  /** The checkpoint format version this code writes (docs/FORMAT.md, "Versions"). */
  public static final int FORMAT_VERSION = 3;
  /** The versions this code reads: 2 (whose files it checks by their contents) and 3. */
  public static final List<Integer> READ_VERSIONS = List.of(2, 3);
  /** Metadata keys in every data file: the tensor's entry (with seed and spec version) and the file's own. */
  public static final String KEY_TENSOR = "shardinit.tensor";
  public static final String KEY_FILE = "shardinit.file";

  public Manifest {
    tensors = List.copyOf(tensors);
  }

  /** A manifest of the versions this code writes. */
  public static Manifest of(long seed, FileFormat fileFormat, List<TensorEntry> tensors) {
    return of(seed, fileFormat, null, tensors);
  }

  /** A manifest of the versions this code writes, of a packed format's files of at most {@code maxFileBytes}. */
  public static Manifest of(long seed, FileFormat fileFormat, Long maxFileBytes, List<TensorEntry> tensors) {
    return new Manifest(FORMAT_VERSION, Stream.SPEC_VERSION, seed, fileFormat, Layout.PIECE_CAP, maxFileBytes,
        tensors, null);
  }

  /** This manifest listing the model's config.json. */
  public Manifest withConfig(ConfigFile c) {
    return new Manifest(formatVersion, specVersion, seed, fileFormat, pieceCap, maxFileBytes, tensors, c);
  }

  /** The number of data files: file entries, or for a packed format the distinct files they are regions of. */
  public long fileCount() {
    if (fileFormat.packed()) {
      java.util.Set<String> paths = new java.util.HashSet<>();
      for (TensorEntry t : tensors) {
        for (FileEntry f : t.files()) {
          paths.add(f.path());
        }
      }
      return paths.size();
    }
    long n = 0;
    for (TensorEntry t : tensors) {
      n += t.files().size();
    }
    return n;
  }
}
