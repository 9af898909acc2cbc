package dev.vigil.activities.store;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * The first {@code length} bytes of a stream (a range of an object); a stream that ends before is
 * an {@link EOFException}. Closing it closes the stream (ends the GET).
 */
final class BoundedStream extends InputStream {
  private final InputStream in;
  private long remaining;

  BoundedStream(InputStream in, long length) {
    this.in = in;
    this.remaining = length;
  }

  @Override
  public int read() throws IOException {
    byte[] single = new byte[1];
    return read(single, 0, 1) < 0 ? -1 : single[0] & 0xff;
  }

  @Override
  public int read(byte[] buffer, int off, int len) throws IOException {
    if (remaining <= 0) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    int read = in.read(buffer, off, (int) Math.min(len, remaining));
    if (read < 0) {
      throw new EOFException(remaining + " bytes short: the object ended early");
    }
    remaining -= read;
    return read;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
