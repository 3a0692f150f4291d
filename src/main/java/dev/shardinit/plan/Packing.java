package dev.shardinit.plan;

import dev.shardinit.init.Initializer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How a packed format (safetensors) groups whole tensors into files: greedily in job order, a new file when the
 * next tensor would take the current one over the maximum size, so a tensor larger than the maximum is alone in
 * its file; within a file, tensors are laid out by element size, largest first (then in job order), so that every
 * tensor starts at a multiple of its element size when the data section does. Depends only on the tensors and
 * the maximum, never on the shard size or the cluster.
 */
public final class Packing {
  private Packing() {}

  /** Names the {@code index}-th (from 1) of {@code count} files. */
  @FunctionalInterface
  public interface Naming {
    String name(int index, int count);
  }

  /**
   * One file: its name, its tensors (plan indices) in data order, each tensor's byte offset in the file's data
   * section, and the data section's size.
   */
  public static final class PackedFile {
    private final String name;
    private final List<Integer> tensors;
    private final long[] offsets;
    private final long bytes;

    PackedFile(String name, List<Integer> tensors, long[] offsets, long bytes) {
      this.name = name;
      this.tensors = Collections.unmodifiableList(new ArrayList<>(tensors));
      this.offsets = offsets.clone();
      this.bytes = bytes;
    }

    public String name() {
      return name;
    }

    /** The plan indices of the file's tensors, in the order of their data. */
    public List<Integer> tensors() {
      return tensors;
    }

    /** The byte offset, in the data section, of the {@code k}-th tensor of {@link #tensors}. */
    public long offset(int k) {
      return offsets[k];
    }

    /** Bytes of the data section: all the file's values. */
    public long bytes() {
      return bytes;
    }
  }

  /**
   * Groups the tensors of {@code inits} (in order) into files of at most {@code maxBytes} bytes of values
   * (a larger tensor gets a file of its own), named by {@code naming}.
   */
  public static List<PackedFile> of(List<Initializer> inits, long maxBytes, Naming naming) {
    long[] bytes = new long[inits.size()];
    int[] widths = new int[inits.size()];
    for (int t = 0; t < inits.size(); t++) {
      widths[t] = inits.get(t).target().dtype().bytes();
      bytes[t] = Math.multiplyExact(inits.get(t).target().numel(), (long) widths[t]);
    }
    return of(bytes, widths, maxBytes, naming);
  }

  /**
   * Groups tensors of {@code bytes[t]} bytes of values, {@code widths[t]} bytes an element, in order, into files
   * of at most {@code maxBytes} bytes of values (a larger tensor gets a file of its own), named by {@code naming}.
   */
  public static List<PackedFile> of(long[] bytes, int[] widths, long maxBytes, Naming naming) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("the maximum file size must be positive, got " + maxBytes);
    }
    List<List<Integer>> groups = new ArrayList<>();
    List<Integer> current = new ArrayList<>();
    long currentBytes = 0;
    for (int t = 0; t < bytes.length; t++) {
      long b = bytes[t];
      if (!current.isEmpty() && (currentBytes + b > maxBytes || currentBytes + b < 0)) {
        groups.add(current);
        current = new ArrayList<>();
        currentBytes = 0;
      }
      current.add(t);
      currentBytes += b;
    }
    if (!current.isEmpty()) {
      groups.add(current);
    }
    List<PackedFile> files = new ArrayList<>(groups.size());
    for (List<Integer> g : groups) {
      List<Integer> order = new ArrayList<>(g);
      order.sort((a, b) -> Integer.compare(widths[b], widths[a])); // a stable sort: job order within a width
      long[] offsets = new long[order.size()];
      long at = 0;
      for (int k = 0; k < order.size(); k++) {
        offsets[k] = at;
        at = Math.addExact(at, bytes[order.get(k)]);
      }
      files.add(new PackedFile(naming.name(files.size() + 1, groups.size()), order, offsets, at));
    }
    return files;
  }
}
