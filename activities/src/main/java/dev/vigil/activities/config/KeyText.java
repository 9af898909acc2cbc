package dev.vigil.activities.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import java.util.HexFormat;
import java.util.function.Function;

/**
 * Reads key material from an env var or key file: 32 raw bytes, or the same as base64 or hex text.
 * Messages name where the key was looked for, never what it holds.
 */
public final class KeyText {
  private KeyText() {}

  /** The key bytes; throws IllegalArgumentException naming the reference when unreadable. */
  public static byte[] read(SecretRef ref, Function<String, String> environment) {
    if (ref.env() != null) {
      String text = environment.apply(ref.env());
      if (text == null || text.isBlank()) {
        throw new IllegalArgumentException("environment variable " + ref.env() + " is not set");
      }
      return decode(text.trim(), ref);
    }
    if (ref.file() == null) {
      throw new IllegalArgumentException("no key configured; set key-env or key-file");
    }
    byte[] raw;
    try {
      raw = Files.readAllBytes(ref.file());
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read key file " + ref.file() + " (" + e.getClass().getSimpleName() + ")");
    }
    if (raw.length == 32 || !isText(raw)) {
      // Raw key bytes; a wrong length is the caller's to report, with the length.
      return raw;
    }
    return decode(new String(raw, StandardCharsets.US_ASCII).trim(), ref);
  }

  private static boolean isText(byte[] raw) {
    for (byte b : raw) {
      if (b < 0x09 || b > 0x7e) {
        return false;
      }
    }
    return raw.length > 0;
  }

  private static byte[] decode(String text, SecretRef ref) {
    if (text.matches("[0-9a-fA-F]{64}")) {
      return HexFormat.of().parseHex(text);
    }
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the key from "
              + ref.describe()
              + " is neither 32 raw bytes nor base64 or hex text; make one with: head -c 32"
              + " /dev/urandom | base64");
    }
  }
}
