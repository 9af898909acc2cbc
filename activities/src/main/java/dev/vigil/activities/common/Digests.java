package dev.vigil.activities.common;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/** SHA-256, the one checksum Vigil records and compares everywhere. */
public final class Digests {
  private static final long PROGRESS_EVERY = 64L << 20;

  private Digests() {}

  /** A fresh SHA-256 digest (every JVM has one). */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** Hex of what {@code digest} has seen so far (and resets it). */
  public static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  /** How many bytes a stream held and their hex SHA-256. */
  public record Summary(long size, String sha256) {}

  /** Hex SHA-256 of a stream, read to its end through one buffer. */
  public static String sha256Hex(InputStream in) throws IOException {
    return summarize(in, bytes -> {}).sha256();
  }

  /**
   * Reads {@code in} to its end through one buffer, hashing it; {@code progress} hears the byte
   * count every 64 MiB (a heartbeat), and once at the end.
   */
  public static Summary summarize(InputStream in, LongConsumer progress) throws IOException {
    MessageDigest digest = sha256();
    byte[] buffer = new byte[1 << 20];
    long size = 0;
    long reported = 0;
    int read;
    while ((read = in.read(buffer)) >= 0) {
      digest.update(buffer, 0, read);
      size += read;
      if (size - reported >= PROGRESS_EVERY) {
        progress.accept(size);
        reported = size;
      }
    }
    progress.accept(size);
    return new Summary(size, hex(digest));
  }
}
