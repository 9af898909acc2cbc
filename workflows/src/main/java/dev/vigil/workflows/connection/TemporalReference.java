package dev.vigil.workflows.connection;

import java.nio.file.Path;

/**
 * Where a certificate, key or API key for the Temporal connection lives: an environment variable
 * holding the text, or a file. Never the material itself.
 *
 * @param setting the vigil.yaml setting it comes from, e.g. {@code temporal.tls.client-cert}, for
 *     messages
 * @param env the environment variable, or null
 * @param file the file, or null
 */
public record TemporalReference(String setting, String env, Path file) {
  /** For messages: {@code env TEMPORAL_KEY} or {@code file /etc/vigil/client.key}. */
  public String describe() {
    return env != null ? "env " + env : "file " + file;
  }
}
