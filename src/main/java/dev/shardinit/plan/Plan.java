package dev.shardinit.plan;

import dev.shardinit.init.Initializer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The deterministic cut of a job into shards (one file each) and tasks (one Spark task each).
 *
 * <p>Each tensor is cut into shards of about the target size on row boundaries of its (shape[0], rest) view;
 * a row longer than the target is cut on piece boundaries ({@link Layout}), never below one piece. Shards are
 * then packed, in tensor order, into tasks of at most the target size (at least one shard each), so the many
 * small tensors of a model (biases, norms) share a task. The same inputs always give the same plan.
 */
public final class Plan {
  /** The default target size of a shard and of a task: 128 MiB. */
  public static final long DEFAULT_SHARD_BYTES = 128L << 20;
  /** The most files a plan may have: beyond this the driver's memory, not the data, bounds the job. */
  public static final long MAX_FILES = 1_000_000;
  /** A plan with more than {@link #MAX_FILES} files. */
  public static final class TooManyFilesException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    TooManyFilesException(String message) {
      super(message);
    }
  }

  private final List<TensorPlan> tensors;
  private final List<Task> tasks;
  private final long shardBytes;
  private final long maxFileBytes;

  private Plan(List<TensorPlan> tensors, List<Task> tasks, long shardBytes, long maxFileBytes) {
    this.maxFileBytes = maxFileBytes;
    this.tensors = Collections.unmodifiableList(tensors);
    this.tasks = Collections.unmodifiableList(tasks);
    this.shardBytes = shardBytes;
  }

  /** One tensor of the plan: its initializer, its directory under the output, its shards. */
  public static final class TensorPlan {
    private final int index;
    private final Initializer init;
    private final String dir;
    private final List<Shard> shards;

    TensorPlan(int index, Initializer init, String dir, List<Shard> shards) {
      this.index = index;
      this.init = init;
      this.dir = dir;
      this.shards = Collections.unmodifiableList(shards);
    }

    public int index() {
      return index;
    }

    public Initializer init() {
      return init;
    }

    /** The tensor's directory relative to the output directory; null in a packed plan. */
    public String dir() {
      return dir;
    }

    public List<Shard> shards() {
      return shards;
    }

    public long bytes() {
      return init.target().numel() * init.target().dtype().bytes();
    }
  }

  /**
   * One unit of writing: elements [start, end) of tensor {@code tensor}, in the file at {@code path} relative to
   * the output: a file of its own, or (packed formats) a region of a file of whole tensors starting at
   * {@link #dataOffset} in its data section.
   */
  public static final class Shard implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final int tensor;
    private final long start;
    private final long end;
    private final String path;
    private final long bytes;
    private final long dataOffset;

    Shard(int tensor, long start, long end, String path, long bytes, long dataOffset) {
      this.tensor = tensor;
      this.start = start;
      this.end = end;
      this.path = path;
      this.bytes = bytes;
      this.dataOffset = dataOffset;
    }

    /** The byte offset of the shard's first value in its packed file's data section; -1 for a file of its own. */
    public long dataOffset() {
      return dataOffset;
    }

    public int tensor() {
      return tensor;
    }

    public long start() {
      return start;
    }

    public long end() {
      return end;
    }

    public String path() {
      return path;
    }

    /** Bytes of raw values (not of the file). */
    public long bytes() {
      return bytes;
    }
  }

  /** One Spark task: shards written one after another. */
  public static final class Task implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final int index;
    private final List<Shard> shards;
    private final long bytes;

    Task(int index, List<Shard> shards) {
      this.index = index;
      this.shards = List.copyOf(shards);
      long b = 0;
      for (Shard s : shards) {
        b += s.bytes();
      }
      this.bytes = b;
    }

    public int index() {
      return index;
    }

    public List<Shard> shards() {
      return shards;
    }

    public long bytes() {
      return bytes;
    }
  }

  /**
   * Plans {@code inits} (in order) with shards of about {@code shardBytes} raw bytes; files get the extension
   * {@code extension} (e.g. ".parquet").
   */
  public static Plan of(List<Initializer> inits, long shardBytes, String extension) {
    checkSize(inits, shardBytes);
    List<String> names = new ArrayList<>(inits.size());
    for (Initializer init : inits) {
      names.add(init.target().name());
    }
    List<String> dirs = Dirs.of(names);
    List<TensorPlan> tensors = new ArrayList<>();
    for (int t = 0; t < inits.size(); t++) {
      Initializer init = inits.get(t);
      String dir = dirs.get(t);
      tensors.add(new TensorPlan(t, init, dir, cut(t, init, shardBytes, s -> file(dir, s, extension), -1)));
    }
    return withTasks(tensors, shardBytes, 0);
  }

  /**
   * Plans {@code inits} (in order) for a packed format: whole tensors grouped into files of at most
   * {@code maxFileBytes} bytes of values ({@link Packing}), each tensor still cut into shards of about
   * {@code shardBytes} (the units of work), each shard a region of its tensor's file.
   */
  public static Plan packed(List<Initializer> inits, long shardBytes, long maxFileBytes, Packing.Naming naming) {
    checkSize(inits, shardBytes);
    List<Packing.PackedFile> files = Packing.of(inits, maxFileBytes, naming);
    String[] fileOf = new String[inits.size()];
    long[] offsetOf = new long[inits.size()];
    for (Packing.PackedFile f : files) {
      for (int k = 0; k < f.tensors().size(); k++) {
        fileOf[f.tensors().get(k)] = f.name();
        offsetOf[f.tensors().get(k)] = f.offset(k);
      }
    }
    List<TensorPlan> tensors = new ArrayList<>();
    for (int t = 0; t < inits.size(); t++) {
      String name = fileOf[t];
      tensors.add(new TensorPlan(t, inits.get(t), null, cut(t, inits.get(t), shardBytes, s -> name, offsetOf[t])));
    }
    return withTasks(tensors, shardBytes, maxFileBytes);
  }

  private static void checkSize(List<Initializer> inits, long shardBytes) {
    if (shardBytes < 1) {
      throw new IllegalArgumentException("shard size must be positive, got " + shardBytes);
    }
    long files = 0;
    for (Initializer init : inits) {
      files += shardCount(init, shardBytes);
      if (files > MAX_FILES) {
        throw new TooManyFilesException("the plan needs more than " + MAX_FILES + " files at a shard size of "
            + shardBytes + " bytes; use a larger shard size");
      }
    }
  }

  /** The plan of {@code tensors}: their shards packed, in tensor order, into tasks of about the shard size. */
  private static Plan withTasks(List<TensorPlan> tensors, long shardBytes, long maxFileBytes) {
    List<Task> tasks = new ArrayList<>();
    List<Shard> current = new ArrayList<>();
    long currentBytes = 0;
    for (TensorPlan tp : tensors) {
      for (Shard s : tp.shards()) {
        if (!current.isEmpty() && currentBytes + s.bytes() > shardBytes) {
          tasks.add(new Task(tasks.size(), current));
          current = new ArrayList<>();
          currentBytes = 0;
        }
        current.add(s);
        currentBytes += s.bytes();
      }
    }
    if (!current.isEmpty()) {
      tasks.add(new Task(tasks.size(), current));
    }
    return new Plan(tensors, tasks, shardBytes, maxFileBytes);
  }

  /** How many shards {@link #cut} makes of a tensor: the same arithmetic, without making them. */
  private static long shardCount(Initializer init, long shardBytes) {
    long numel = init.target().numel();
    if (numel == 0) {
      return 0;
    }
    int bytes = init.target().dtype().bytes();
    long row = Layout.rowLength(init.target().shape(), numel);
    if (row <= shardBytes / bytes) {
      long step = Math.max(1, shardBytes / (row * bytes)) * row;
      return ceilDiv(numel, step);
    }
    long step = Math.max(1, shardBytes / (Layout.PIECE_CAP * bytes)) * Layout.PIECE_CAP;
    return (numel / row) * ceilDiv(row, step);
  }

  private static long ceilDiv(long a, long b) {
    return a / b + (a % b == 0 ? 0 : 1);
  }

  /**
   * Cuts a tensor into shards; {@code path} names the file of the shard starting at an element, and
   * {@code dataOffset} is the tensor's offset in its packed file (-1: each shard is a file of its own).
   */
  private static List<Shard> cut(int t, Initializer init, long shardBytes, java.util.function.LongFunction<String> path,
      long dataOffset) {
    long numel = init.target().numel();
    int bytes = init.target().dtype().bytes();
    List<Shard> shards = new ArrayList<>();
    if (numel == 0) {
      return shards;
    }
    long row = Layout.rowLength(init.target().shape(), numel);
    if (row <= shardBytes / bytes) {
      long rowsPer = Math.max(1, shardBytes / (row * bytes));
      long step = rowsPer * row;
      for (long s = 0; s < numel; s += step) {
        long e = Math.min(numel, s + step);
        shards.add(new Shard(t, s, e, path.apply(s), (e - s) * bytes, dataOffset < 0 ? -1 : dataOffset + s * bytes));
      }
    } else {
      long piecesPer = Math.max(1, shardBytes / (Layout.PIECE_CAP * bytes));
      long step = piecesPer * Layout.PIECE_CAP;
      for (long r = 0; r < numel; r += row) {
        for (long s = r; s < r + row; s += step) {
          long e = Math.min(r + row, s + step);
          shards.add(new Shard(t, s, e, path.apply(s), (e - s) * bytes, dataOffset < 0 ? -1 : dataOffset + s * bytes));
        }
      }
    }
    return shards;
  }

  /** The hidden temporary name under which a file called {@code name} is written, by the writer {@code tag}. */
  public static String tempName(String name, String tag) {
    return "." + name + "." + tag + ".tmp";
  }

  /**
   * The hidden directory, beside a packed file called {@code name}, that holds the run {@code tag}'s regions of
   * it as files of their own on file systems without positional writes, until they are assembled.
   */
  public static String partsDir(String name, String tag) {
    return "." + name + "." + tag + ".parts";
  }

  /** The name, in its {@link #partsDir}, of the region that starts at {@code dataOffset} of its file's data. */
  public static String partName(long dataOffset) {
    return String.format(Locale.ROOT, "part-%016d", dataOffset);
  }

  /** The path, relative to the checkpoint, of the file of a tensor in {@code dir} that starts at {@code start}. */
  public static String file(String dir, long start, String ext) {
    return dir + "/" + String.format(Locale.ROOT, "part-%012d", start) + ext;
  }

  public List<TensorPlan> tensors() {
    return tensors;
  }

  public List<Task> tasks() {
    return tasks;
  }

  public long shardBytes() {
    return shardBytes;
  }

  /** The most bytes of values a packed file holds; 0 when each shard is a file of its own. */
  public long maxFileBytes() {
    return maxFileBytes;
  }



  public long totalBytes() {
    long b = 0;
    for (TensorPlan t : tensors) {
      b += t.bytes();
    }
    return b;
  }

  /** The rows of all files ({@link Layout}): what a file holds beyond its values grows with them. */
  public long rowCount() {
    long n = 0;
    for (TensorPlan t : tensors) {
      long row = Layout.rowLength(t.init().target().shape(), t.init().target().numel());
      for (Shard s : t.shards()) {
        n += Layout.count(row, s.start(), s.end());
      }
    }
    return n;
  }

  public int shardCount() {
    int n = 0;
    for (TensorPlan t : tensors) {
      n += t.shards().size();
    }
    return n;
  }
}
