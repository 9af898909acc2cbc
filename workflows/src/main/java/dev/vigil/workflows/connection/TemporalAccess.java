package dev.vigil.workflows.connection;

/**
 * How to reach and authenticate to the Temporal server: vigil.yaml's {@code temporal.target},
 * {@code temporal.tls} and {@code temporal.api-key}.
 *
 * @param target host:port of the frontend
 * @param tls TLS settings, or null for plaintext (an API key alone still turns TLS on)
 * @param apiKey the API key sent as {@code Authorization: Bearer}, or null
 */
public record TemporalAccess(String target, TemporalTls tls, TemporalReference apiKey) {
  /** A plaintext connection without credentials (a local or embedded server). */
  public static TemporalAccess plaintext(String target) {
    return new TemporalAccess(target, null, null);
  }

  /**
   * Whether the connection uses TLS: when configured, and always with an API key, which is never
   * sent in the clear.
   */
  public boolean usesTls() {
    return tls != null || apiKey != null;
  }

  /** The TLS settings in effect: the configured ones, or the JVM's roots for an API key alone. */
  TemporalTls effectiveTls() {
    return tls != null ? tls : usesTls() ? TemporalTls.SYSTEM_ROOTS : null;
  }
}
