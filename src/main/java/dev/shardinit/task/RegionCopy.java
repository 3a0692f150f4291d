package dev.shardinit.task;

import dev.shardinit.format.FileEntry;
import dev.shardinit.format.FileFormat;
import dev.shardinit.format.ManifestJson;
import dev.shardinit.format.ShardData;
import dev.shardinit.format.ShardFiles;
import dev.shardinit.init.Dtype;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Exports one file of a Parquet or Arrow checkpoint as a region of a packed file: reads it (its memory is the
 * file's values, at most a shard), checks that it holds the manifest's dtype and elements and that its values'
 * CRC-32C is the manifest's, and writes the values at their position with a positional write.
 */
public final class RegionCopy {
  private RegionCopy() {}

  /**
   * Copies the values of {@code src} (under {@code srcRoot}, a file of a tensor named {@code tensor} of
   * {@code dtype}) to its region of the packed file {@code dst}, from {@code dataOffset} in its data section,
   * through {@code to}; returns the bytes written.
   *
   * @throws IOException naming the file when it cannot be read, or holds other values than the manifest says
   */
  public static long copy(FileSystem fs, Path srcRoot, FileFormat format, String tensor, Dtype dtype, FileEntry src,
      Destination to, String dst, long dataOffset) throws IOException {
    Path p = new Path(srcRoot, src.path());
    String at = "tensor '" + tensor + "' file " + p;
    ShardData d;
    try {
      d = ShardFiles.read(fs, p, format);
    } catch (IOException | RuntimeException e) {
      throw new IOException("cannot read " + at + ": " + Placement.rootMessage(e), e);
    }
    if (d.dtype() != dtype || d.elements() != src.elements()) {
      throw new IOException(at + " holds " + d.elements() + " " + d.dtype().id() + " values; the manifest says "
          + src.elements() + " " + dtype.id());
    }
    ByteBuffer values = d.values();
    CRC32C crc = new CRC32C();
    crc.update(values.duplicate());
    if ((int) crc.getValue() != src.crc32c()) {
      throw new IOException(at + ": the CRC-32C of its values is " + ManifestJson.hex((int) crc.getValue())
          + ", the manifest says " + ManifestJson.hex(src.crc32c()) + " (run shardinit verify on the checkpoint)");
    }
    byte[] buf = new byte[1 << 20];
    return to.write(dst, dataOffset, src.elements() * dtype.bytes(), sink -> {
      try (OutputStream out = sink.create()) {
        while (values.hasRemaining()) {
          int n = Math.min(buf.length, values.remaining());
          values.get(buf, 0, n);
          out.write(buf, 0, n);
        }
      }
    });
  }
}
