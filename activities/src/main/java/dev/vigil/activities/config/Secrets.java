package dev.vigil.activities.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.function.Function;

/** Resolves a {@link SecretRef} where it is used, never earlier, and never into a message. */
public final class Secrets {
  private Secrets() {}

  /**
   * The secret's text (trimmed), or null for an unset reference (the caller's default applies).
   * Throws IllegalArgumentException naming the env var or file when it cannot be read.
   */
  public static String resolve(SecretRef ref, Function<String, String> environment) {
    if (ref == null || !ref.isSet()) {
      return null;
    }
    if (ref.env() != null) {
      String value = environment.apply(ref.env());
      if (value == null) {
        throw new IllegalArgumentException("environment variable " + ref.env() + " is not set");
      }
      return value.strip();
    }
    try {
      return Files.readString(ref.file(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read " + ref.file() + " (" + e.getClass().getSimpleName() + ")");
    }
  }
}
