package dev.shardinit.format;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An output stream (a local file's) that can overwrite bytes it has already written, without moving its own
 * position: what a streamed Arrow write needs to put the final metadata into the schema it wrote first.
 */
public interface RewritableOutput {
  /** Overwrites file bytes [position, position + bytes.remaining()), all of them already written. */
  void rewrite(long position, ByteBuffer bytes) throws IOException;
}
