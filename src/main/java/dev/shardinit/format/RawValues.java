package dev.shardinit.format;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A shard's values as a packed format stores them (safetensors): raw little-endian bits, back to back, nothing
 * else; the file's header and the other tensors are not the shard's.
 */
final class RawValues {
  /** Bytes copied at a time. */
  private static final int BUFFER = 1 << 20;

  private RawValues() {}

  /** Writes the request's values to its sink, then takes its metadata (which checks that none are left over). */
  static void write(EncodeRequest r) throws IOException {
    long left = 0;
    for (int i = 0; i < r.rows(); i++) {
      left += r.length(i) * r.dtype.bytes();
    }
    byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(1, left))];
    boolean done = false;
    OutputStream out = r.sink.create();
    try {
      while (left > 0) {
        int n = (int) Math.min(buf.length, left);
        r.source.read(ByteBuffer.wrap(buf, 0, n));
        out.write(buf, 0, n);
        left -= n;
      }
      r.source.metadata();
      out.close();
      done = true;
    } finally {
      if (!done) {
        try {
          out.close();
        } catch (IOException e) {
          // the failure that got us here is the one to report
        }
        r.sink.discard();
      }
    }
  }
}
