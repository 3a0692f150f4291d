package dev.shardinit.format.safetensors;

import dev.shardinit.format.ManifestJson;
import dev.shardinit.format.TensorEntry;
import dev.shardinit.plan.Packing;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of a safetensors checkpoint, from its tensors alone: which tensors each file holds and where
 * ({@link Packing}), and each file's exact header, so its size and the position of every value are known before
 * a value is written. Generate lays files out with it; verify recomputes it from the manifest.
 */
public final class SafetensorsLayout {
  /** One file: its name, header bytes, its tensors in data order with their data offsets, and its size. */
  public static final class File {
    private final String name;
    private final byte[] header;
    private final List<Integer> tensors;
    private final long[] offsets;
    private final long dataBytes;

    File(String name, byte[] header, List<Integer> tensors, long[] offsets, long dataBytes) {
      this.name = name;
      this.header = header;
      this.tensors = Collections.unmodifiableList(new ArrayList<>(tensors));
      this.offsets = offsets;
      this.dataBytes = dataBytes;
    }

    public String name() {
      return name;
    }

    /** The header: length prefix, JSON and padding (a copy). */
    public byte[] header() {
      return header.clone();
    }

    /** The position of the first value: the header's length. */
    public long dataStart() {
      return header.length;
    }

    /** The file's size. */
    public long size() {
      return header.length + dataBytes;
    }

    /** The indices of the file's tensors in the list the layout was made of, in data order. */
    public List<Integer> tensors() {
      return tensors;
    }

    /** The byte offset in the data section of the {@code k}-th tensor of {@link #tensors}. */
    public long offset(int k) {
      return offsets[k];
    }
  }

  private final List<File> files;
  private final Map<String, File> byName;
  private final String[] fileOf;
  private final long[] positionOf;
  private final int[] widths;

  private SafetensorsLayout(List<File> files, int[] widths) {
    int tensorCount = widths.length;
    this.widths = widths.clone();
    this.files = List.copyOf(files);
    this.byName = new LinkedHashMap<>();
    this.fileOf = new String[tensorCount];
    this.positionOf = new long[tensorCount];
    for (File f : files) {
      byName.put(f.name(), f);
      for (int k = 0; k < f.tensors().size(); k++) {
        fileOf[f.tensors().get(k)] = f.name();
        positionOf[f.tensors().get(k)] = f.dataStart() + f.offset(k);
      }
    }
  }

  /**
   * The layout of {@code tensors} (in job order; only their header fields are used) in files of at most
   * {@code maxFileBytes} bytes of values.
   *
   * @throws IllegalArgumentException when a file's header would be larger than readers take
   */
  public static SafetensorsLayout of(List<TensorEntry> tensors, long seed, String specVersion, long maxFileBytes) {
    long[] bytes = new long[tensors.size()];
    int[] widths = new int[tensors.size()];
    for (int t = 0; t < tensors.size(); t++) {
      widths[t] = tensors.get(t).dtype().bytes();
      bytes[t] = tensors.get(t).valueBytes();
    }
    List<File> files = new ArrayList<>();
    for (Packing.PackedFile p : Packing.of(bytes, widths, maxFileBytes, Safetensors::fileName)) {
      List<Safetensors.Entry> entries = new ArrayList<>();
      List<TensorEntry> inFile = new ArrayList<>();
      for (int k = 0; k < p.tensors().size(); k++) {
        TensorEntry t = tensors.get(p.tensors().get(k));
        inFile.add(t);
        entries.add(new Safetensors.Entry(t.name(), t.dtype(), t.shape(), p.offset(k), p.offset(k) + t.valueBytes()));
      }
      byte[] header;
      try {
        header = Safetensors.header(entries, ManifestJson.safetensorsMetadata(inFile, seed, specVersion));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(p.name() + ": " + e.getMessage() + " (a smaller maximum file size "
            + "puts fewer tensors in a file)");
      }
      long[] offsets = new long[p.tensors().size()];
      for (int k = 0; k < offsets.length; k++) {
        offsets[k] = p.offset(k);
      }
      files.add(new File(p.name(), header, p.tensors(), offsets, p.bytes()));
    }
    return new SafetensorsLayout(files, widths);
  }

  public List<File> files() {
    return files;
  }

  /** The size of all files together: headers and values. */
  public long size() {
    long n = 0;
    for (File f : files) {
      n += f.size();
    }
    return n;
  }

  /** The position of each file's data section (its header's length), by name: what tasks need to place values. */
  public Map<String, Long> dataStarts() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (File f : files) {
      m.put(f.name(), f.dataStart());
    }
    return m;
  }

  /** The name of the file holding tensor {@code t}. */
  public String fileOf(int t) {
    return fileOf[t];
  }

  /** The offset, in its file's data section, of element {@code start} of tensor {@code t}. */
  public long dataOffsetOf(int t, long start) {
    return positionOf(t, start) - byName.get(fileOf[t]).dataStart();
  }

  /** The position in its file of element {@code start} of tensor {@code t}. */
  public long positionOf(int t, long start) {
    return positionOf[t] + start * widths[t];
  }
}
