package dev.shardinit.commit;

import dev.shardinit.format.FileSink;
import dev.shardinit.format.TensorEntry;
import dev.shardinit.format.io.Fs;
import dev.shardinit.format.safetensors.Safetensors;
import dev.shardinit.format.safetensors.SafetensorsIndex;
import dev.shardinit.format.safetensors.SafetensorsLayout;
import dev.shardinit.plan.Plan;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The commit protocol of packed files (safetensors): before the job, each file is made under the run's hidden
 * temporary name with its header (its size and every value's position are known from the tensors alone); the
 * tasks write their regions in place (or, without positional writes, as part files that are then assembled under
 * that name); after the job each file is checked to have its full size and renamed to
 * its name, then the index is written (temporary name, rename); the manifest comes last ({@link Run#commit}).
 */
final class PackedFiles {
  private PackedFiles() {}

  /**
   * Makes every file of {@code layout} in {@code dir} under its temporary name, holding its header, for the tasks'
   * positional writes; on a file system without them, nothing: the files are assembled from part files after the
   * job, under the same names.
   */
  static void prepare(FileSystem fs, Path dir, String tag, SafetensorsLayout layout) throws IOException {
    if (!Fs.positional(fs)) {
      return;
    }
    for (SafetensorsLayout.File f : layout.files()) {
      Path tmp = new Path(dir, Plan.tempName(f.name(), tag));
      try (OutputStream out = fs.create(tmp, false)) {
        out.write(f.header());
      }
    }
  }

  /**
   * Renames every complete file into place (where files publish on close, the assembly wrote them there
   * already: they are only checked), then writes the index (for more than one file).
   */
  static void publish(FileSystem fs, Path dir, String tag, SafetensorsLayout layout, List<TensorEntry> tensors)
      throws IOException {
    boolean inPlace = Fs.publishesOnClose(fs, dir);
    for (SafetensorsLayout.File f : layout.files()) {
      Path tmp = new Path(dir, inPlace ? f.name() : Plan.tempName(f.name(), tag));
      FileStatus st = fs.getFileStatus(tmp);
      if (st.getLen() != f.size()) {
        throw new IOException(tmp + " is " + st.getLen() + " bytes after every task reported, not " + f.size());
      }
      Path dst = new Path(dir, f.name());
      if (!inPlace && !fs.rename(tmp, dst)) {
        throw new IOException("cannot rename " + tmp + " to " + dst);
      }
    }
    if (layout.files().size() > 1) {
      byte[] index = SafetensorsIndex.of(tensors, layout);
      FileSink.writeWhole(fs, new Path(dir, Safetensors.INDEX), new Path(dir, Plan.tempName(Safetensors.INDEX, tag)),
          out -> out.write(index));
    }
  }
}
