package dev.shardinit.format;

import dev.shardinit.format.safetensors.SafetensorsLayout;
import dev.shardinit.init.ByName;
import dev.shardinit.init.InitException;
import dev.shardinit.init.Initializer;
import dev.shardinit.init.Target;
import dev.shardinit.plan.Crc32c;
import dev.shardinit.plan.Layout;
import dev.shardinit.plan.Dirs;
import dev.shardinit.plan.Plan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The checks of a manifest that need no data file (docs/FORMAT.md, "Completeness and failures"): names unique;
 * each tensor's numel the product of its shape; its call resolvable and the derived fields (every argument in
 * force, gain, fans, std, bound) those the call gives for that shape; its directory the one the layout gives its
 * name; its files tiling {@code [0, numel)} exactly, on row boundaries, with the rows the layout gives, at the
 * paths the layout gives (so no path leaves the checkpoint); and the tensor's CRC-32C the combination of its
 * files'. Every problem names the tensor (and the file).
 */
public final class ManifestCheck {
  private ManifestCheck() {}

  /** A file whose entry passed every check, of a tensor whose call resolves: its bytes can be regenerated. */
  public record Regenerable(TensorEntry tensor, FileEntry file) {}

  /**
   * The problems found; the files that can be regenerated and compared; the paths of all files at the place
   * the layout gives them (the only ones a reader should open); for a packed format, the layout of its files as
   * the manifest gives it (null when it cannot be made, or the format is not packed).
   */
  public record Result(List<String> problems, List<Regenerable> files, Set<String> placed,
      SafetensorsLayout layout) {
    public Result {
      problems = List.copyOf(problems);
      files = List.copyOf(files);
      placed = Set.copyOf(placed);
    }
  }

  public static Result check(Manifest m) {
    List<String> problems = new ArrayList<>();
    List<Regenerable> files = new ArrayList<>();
    Set<String> placed = new HashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    Set<String> taken = new HashSet<>();
    taken.add(Manifest.FILE);
    SafetensorsLayout layout = null;
    if (m.fileFormat().packed()) {
      try {
        layout = SafetensorsLayout.of(m.tensors(), m.seed(), m.specVersion(), m.maxFileBytes());
      } catch (IllegalArgumentException | ArithmeticException e) {
        problems.add("the files of these tensors cannot be laid out: " + e.getMessage());
      }
    }
    for (int i = 0; i < m.tensors().size(); i++) {
      TensorEntry t = m.tensors().get(i);
      String expectedDir = m.fileFormat().packed() ? null : Dirs.unique(t.name(), taken);
      Integer first = seen.putIfAbsent(t.name(), i);
      if (first != null) {
        problems.add(at(t) + ": listed more than once (entries " + first + " and " + i + ")");
        continue;
      }
      tensor(m, t, expectedDir, m.fileFormat().packed() ? new Packed(layout, i) : null, problems, files, placed);
    }
    return new Result(problems, files, placed, layout);
  }

  private static String at(TensorEntry t) {
    return "tensor '" + t.name() + "'";
  }

  /** Where the layout of a packed checkpoint puts tensor {@code index} (null layout: it could not be made). */
  private record Packed(SafetensorsLayout layout, int index) {}

  private static void tensor(Manifest m, TensorEntry t, String expectedDir, Packed packed, List<String> problems,
      List<Regenerable> out, Set<String> placed) {
    String at = at(t);
    long[] shape = t.shape();
    long numel = 1;
    for (long d : shape) {
      try {
        numel = Math.multiplyExact(numel, d);
      } catch (ArithmeticException e) {
        problems.add(at + ": shape " + Arrays.toString(shape) + " holds more than " + Long.MAX_VALUE + " elements");
        return;
      }
    }
    if (numel != t.numel()) {
      problems.add(at + ": numel is " + t.numel() + ", but its shape " + Arrays.toString(shape) + " holds " + numel);
      return; // every range check below would be about the wrong count
    }
    boolean dirOk = packed != null ? packed.layout() != null : t.dir().equals(expectedDir);
    if (!dirOk && packed == null) {
      problems.add(at + ": dir is '" + t.dir() + "', but the layout puts this name in '" + expectedDir + "'");
    }
    Initializer init = null;
    try {
      init = ByName.resolve(Target.of(t.name(), shape, t.dtype(), m.seed()), t.fn(), t.args(), t.paddingIdx());
    } catch (InitException e) {
      problems.add(at + ": init: " + e.getMessage());
    }
    if (init != null) {
      derived(t, TensorEntry.of(init, t.dir(), t.crc32c(), t.files()), problems);
    }
    long rowLength = Layout.rowLength(shape, numel);
    String ext = m.fileFormat().extension();
    long covered = 0;
    boolean tiled = true;
    int crc = 0;
    String previous = null;
    for (FileEntry f : t.files()) {
      String fat = at + " file " + f.path();
      boolean ok = true;
      String expectedPath = packed == null ? Plan.file(t.dir(), f.start(), ext)
          : dirOk ? packed.layout().fileOf(packed.index()) : f.path();
      if (!f.path().equals(expectedPath)) {
        problems.add(fat + ": path should be " + expectedPath + (packed == null ? " (the tensor's directory and the "
            + "file's first element)" : " (the file the layout puts the tensor in)") + "; it is not opened");
        ok = false;
      } else if (dirOk) {
        placed.add(f.path());
      }
      if (packed != null && dirOk) {
        long pos = packed.layout().positionOf(packed.index(), f.start());
        if (f.offset() != pos) {
          problems.add(fat + ": offset is " + f.offset() + ", but the layout puts element " + f.start() + " at byte "
              + pos);
          ok = false;
        }
        if (f.bytes() != f.elements() * t.dtype().bytes()) {
          problems.add(fat + ": bytes is " + f.bytes() + ", but elements [" + f.start() + ", " + f.end() + ") of "
              + t.dtype().id() + " take " + f.elements() * t.dtype().bytes());
          ok = false;
        }
      }
      if (f.start() < 0 || f.end() <= f.start() || f.end() > numel) {
        problems.add(fat + ": range [" + f.start() + ", " + f.end() + ") is not a non-empty part of the tensor's "
            + "[0, " + numel + ")");
        tiled = false;
        continue;
      }
      if (f.start() > covered) {
        problems.add(at + ": elements [" + covered + ", " + f.start() + ") are in no file");
        tiled = false;
      } else if (f.start() < covered) {
        problems.add(fat + ": elements [" + f.start() + ", " + Math.min(covered, f.end()) + ") are also in "
            + previous);
        tiled = false;
      }
      if (packed != null) {
        // a region of a packed file: any split of the tensor; rows are Parquet's and Arrow's
      } else if (!Layout.isBoundary(rowLength, numel, f.start()) || !Layout.isBoundary(rowLength, numel, f.end())) {
        problems.add(fat + ": range [" + f.start() + ", " + f.end() + ") does not start and end on rows of "
            + "the layout (rows of " + Math.min(rowLength, Layout.PIECE_CAP) + " elements)");
        ok = false;
      } else {
        long rows = Layout.count(rowLength, f.start(), f.end());
        if (rows != f.rows()) {
          problems.add(fat + ": rows is " + f.rows() + ", but elements [" + f.start() + ", " + f.end()
              + ") make " + rows + " rows");
        }
      }
      if (f.bytes() < 0) {
        problems.add(fat + ": bytes is " + f.bytes());
      }
      crc = covered == 0 && f.start() == 0 ? f.crc32c()
          : Crc32c.combine(crc, f.crc32c(), f.elements() * t.dtype().bytes());
      covered = Math.max(covered, f.end());
      previous = f.path();
      if (ok && dirOk && init != null) {
        out.add(new Regenerable(t, f));
      }
    }
    if (covered < numel) {
      problems.add(at + ": elements [" + covered + ", " + numel + ") are in no file");
      tiled = false;
    }
    if (tiled && crc != t.crc32c()) {
      problems.add(at + ": crc32c is " + ManifestJson.hex(t.crc32c()) + ", but its files' checksums combine to "
          + ManifestJson.hex(crc));
    }
  }

  /** The fields torch derives, as the manifest has them against what the call gives for this shape. */
  private static void derived(TensorEntry got, TensorEntry want, List<String> problems) {
    String call = want.fn() + " on " + Arrays.toString(want.shape());
    compare(got, "init.fn", got.fn(), want.fn(), call, problems);
    compare(got, "init.args", ManifestReader.tree(json(got.args())), ManifestReader.tree(json(want.args())),
        call + " (every argument in force)", problems);
    compare(got, "init.padding_idx", got.paddingIdx(), want.paddingIdx(), call, problems);
    compare(got, "gain", got.gain(), want.gain(), call, problems);
    compare(got, "fan_in", got.fanIn(), want.fanIn(), call, problems);
    compare(got, "fan_out", got.fanOut(), want.fanOut(), call, problems);
    compare(got, "std", got.std(), want.std(), call, problems);
    compare(got, "bound", got.bound(), want.bound(), call, problems);
  }

  private static void compare(TensorEntry t, String field, Object got, Object want, String call,
      List<String> problems) {
    if (!Objects.equals(got, want)) {
      problems.add(at(t) + ": " + field + " is " + (got == null ? "missing" : got) + ", but " + call + " gives "
          + (want == null ? "none" : want));
    }
  }

  private static String json(Map<String, Object> args) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(args);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
