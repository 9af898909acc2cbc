package dev.vigil.activities.crypto;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.LongConsumer;

/**
 * Opens sealed files ({@link Sealer}'s format) with their 1 MiB AEAD segments decrypted on several
 * threads. The result is the plaintext {@link Sealer#unseal} produces, byte for byte: segments are
 * handed on in order, each one authenticated with its number and whether it is the last, so a
 * reordered, altered or truncated (at a segment boundary or within one) stream fails as it does on
 * one thread. Memory is bounded: at most {@code 2 × threads} segments are in flight.
 */
public final class ParallelUnsealer {
  private static final int BUFFER = 1 << 20;

  private final Sealer sealer;
  private final int threads;

  /** Decrypts on {@code threads} threads; 1 decrypts on the reading thread itself. */
  public ParallelUnsealer(Sealer sealer, int threads) {
    this.sealer = sealer;
    this.threads = Math.max(1, threads);
  }

  /** One decrypting thread per processor. */
  public ParallelUnsealer(Sealer sealer) {
    this(sealer, Runtime.getRuntime().availableProcessors());
  }

  /**
   * The plaintext of {@code sealed} (decompressed if it was sealed with zstd), as it is read. The
   * caller must {@link UnsealedStream#finish()} it before trusting what it read: only the end of
   * the stream proves nothing was cut off. Reading an altered segment throws DUMP_INVALID naming
   * {@code what} (e.g. {@code backup 'x' (spool file …)}). ENCRYPTION_KEY_INVALID if the key the
   * header names is not configured.
   */
  public UnsealedStream open(InputStream sealed, String context, String what) throws IOException {
    return open(sealed, context, what, bytes -> {});
  }

  /**
   * As {@link #open(InputStream, String, String)}, {@code progress} getting the decrypted bytes
   * handed on so far every 16 MiB (a heartbeat while one large file is extracted).
   */
  public UnsealedStream open(InputStream sealed, String context, String what, LongConsumer progress)
      throws IOException {
    DataInputStream in = new DataInputStream(sealed);
    Sealer.Opened opened = sealer.open(in, context, what);
    return new UnsealedStream(in, opened, threads, what, progress);
  }

  /**
   * As {@link Sealer#unseal(InputStream, OutputStream, String)}: the whole plaintext into {@code
   * out}, authenticated to its end. Returns the plaintext bytes.
   */
  public long unseal(InputStream sealed, OutputStream out, String context) throws IOException {
    try (UnsealedStream plain = open(sealed, context, "sealed data")) {
      byte[] buffer = new byte[BUFFER];
      int read;
      while ((read = plain.read(buffer)) >= 0) {
        out.write(buffer, 0, read);
      }
      return plain.finish();
    }
  }
}
