package dev.vigil.activities.config;

import java.nio.file.Path;

/**
 * Where a secret lives; never the secret. Exactly one of {@code env} and {@code file} is set, or
 * neither when a default applies (the AWS chain, {@code .pgpass}).
 */
public record SecretRef(String env, Path file) {
  public static final SecretRef NONE = new SecretRef(null, null);

  public boolean isSet() {
    return env != null || file != null;
  }

  /** For messages: {@code env VIGIL_KEY} or {@code file /etc/vigil/key}. */
  public String describe() {
    return env != null ? "env " + env : file != null ? "file " + file : "default";
  }
}
