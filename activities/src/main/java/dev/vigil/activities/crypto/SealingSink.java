package dev.vigil.activities.crypto;

import dev.vigil.activities.common.Digests;
import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Seals what is written to it, as it arrives: the dump streams through zstd, the streaming AEAD and
 * SHA-256 into the sealed file in one pass, with no raw file in between. Made by {@link
 * Sealer#sink}. Memory stays flat: the compression sample (at most 4 MiB, only for {@code auto})
 * and the sealer's fixed buffers.
 *
 * <p>Call {@link #finish()} once everything is written; {@link #close()} without it releases the
 * compressor and leaves an unusable partial file behind (a failed dump).
 */
public final class SealingSink extends OutputStream {
  private final Sealer sealer;
  private final EncryptionKey key;
  private final String configured;
  private final String context;
  private final MessageDigest sha256 = Digests.sha256();
  private final Sealer.CountingOutputStream stored;
  private byte[] sample;
  private int sampled;
  private OutputStream plain;
  private volatile String compression;
  private volatile long rawBytes;
  private SealOutcome outcome;

  SealingSink(
      Sealer sealer, EncryptionKey key, OutputStream sealed, String configured, String context) {
    this.sealer = sealer;
    this.key = key;
    this.configured = configured;
    this.context = context;
    this.stored = new Sealer.CountingOutputStream(new DigestOutputStream(sealed, sha256));
    // Only "auto" needs to see data before the header (which names the compression) is written.
    this.sample = "auto".equals(configured) ? new byte[Sealer.SAMPLE] : null;
  }

  /** Raw bytes written so far (for heartbeats; readable from any thread). */
  public long rawBytes() {
    return rawBytes;
  }

  /**
   * The compression the header names, once the header is written (after the {@code auto} sample, at
   * most 4 MiB of raw bytes); null before.
   */
  public String compression() {
    return compression;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    if (outcome != null) {
      throw new IOException("sealed stream already finished");
    }
    int written = 0;
    if (plain == null && sample != null) {
      int taken = Math.min(length, sample.length - sampled);
      System.arraycopy(bytes, offset, sample, sampled, taken);
      sampled += taken;
      written = taken;
      if (sampled == sample.length) {
        start();
      }
    } else if (plain == null) {
      start();
    }
    if (written < length) {
      plain.write(bytes, offset + written, length - written);
    }
    rawBytes += length;
  }

  /**
   * Ends the sealed stream (the AEAD's last segment, the compressor's frame), flushes the file
   * under it and says what was stored. The file itself is the caller's to close.
   */
  public SealOutcome finish() throws IOException {
    if (outcome == null) {
      if (plain == null) {
        start();
      }
      plain.close();
      stored.flush();
      outcome =
          new SealOutcome(
              rawBytes, stored.count(), HexFormat.of().formatHex(sha256.digest()), compression);
    }
    return outcome;
  }

  /** Releases the compressor; the sealed stream is incomplete unless {@link #finish()} ran. */
  @Override
  public void close() throws IOException {
    if (outcome == null && plain != null) {
      OutputStream open = plain;
      plain = null;
      try {
        open.close();
      } catch (IOException ignored) {
        // A failed dump: the partial file is deleted by the caller; only native memory matters.
      }
    }
  }

  private void start() throws IOException {
    if (sample != null) {
      compression = sampled == 0 || Sealer.compresses(sample, sampled) ? "zstd" : "none";
    } else {
      compression = configured;
    }
    byte[] header = Sealer.header(key.keyId(), compression);
    stored.write(header);
    try {
      plain = sealer.plaintextSink(key, stored, header, compression, context);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("streaming AEAD unavailable", e);
    }
    if (sample != null) {
      plain.write(sample, 0, sampled);
      sample = null;
    }
  }
}
