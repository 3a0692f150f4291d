package dev.shardinit.format;

import dev.shardinit.init.Dtype;
import dev.shardinit.init.Initializer;
import dev.shardinit.init.Target;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One tensor of a checkpoint: its call ({@code fn} with every argument in force, and the row of dimension 0 zeroed
 * after it, {@code paddingIdx}, or null), what torch derives from it
 * (gain, fans, std, bound; null where it does not apply), the CRC-32C of all its values, its directory and its
 * files in element order.
 */
public record TensorEntry(String name, long[] shape, Dtype dtype, String fn, Map<String, Object> args,
    Long paddingIdx, Double gain,
    Long fanIn, Long fanOut, Double std, Double bound, long numel, int crc32c, String dir, List<FileEntry> files) {

  public TensorEntry {
    shape = shape.clone();
    args = Collections.unmodifiableMap(new LinkedHashMap<>(args));
    files = List.copyOf(files);
  }

  /** The entry of a resolved initializer, written to {@code dir} as {@code files}. */
  public static TensorEntry of(Initializer init, String dir, int crc32c, List<FileEntry> files) {
    Target t = init.target();
    return new TensorEntry(t.name(), t.shape(), t.dtype(), init.fn(), init.args(),
        init.paddingIdx().isPresent() ? init.paddingIdx().getAsLong() : null,
        init.gain().isPresent() ? init.gain().getAsDouble() : null,
        init.fanIn().isPresent() ? init.fanIn().getAsLong() : null,
        init.fanOut().isPresent() ? init.fanOut().getAsLong() : null,
        init.std().isPresent() ? init.std().getAsDouble() : null,
        init.bound().isPresent() ? init.bound().getAsDouble() : null,
        t.numel(), crc32c, dir, files);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** Bytes of all the tensor's values. */
  public long valueBytes() {
    return numel * dtype.bytes();
  }
}
