package dev.vigil.activities.config;

import dev.vigil.workflows.connection.TemporalAccess;
import dev.vigil.workflows.connection.TemporalReference;
import dev.vigil.workflows.connection.TemporalTls;

/**
 * Where the Temporal server is, how to reach it (TLS, API key, both by reference), and the shared
 * task queue.
 *
 * @param tls TLS settings, or null for plaintext
 * @param apiKey where the API key lives, or null
 */
public record TemporalConfig(
    String target, String namespace, String taskQueue, TemporalTls tls, TemporalReference apiKey) {
  /** A plaintext connection without credentials. */
  public TemporalConfig(String target, String namespace, String taskQueue) {
    this(target, namespace, taskQueue, null, null);
  }

  /** What {@code dev.vigil.workflows.connection.TemporalStubs} builds the stubs from. */
  public TemporalAccess access() {
    return new TemporalAccess(target, tls, apiKey);
  }
}
