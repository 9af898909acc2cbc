package dev.vigil.workflows.connection;

/**
 * The Temporal connection cannot work as configured: one line naming the setting (e.g. {@code
 * temporal.tls.client-cert: certificate expired on ...}), never key material or the API key.
 */
public final class TemporalAccessException extends RuntimeException {
  public TemporalAccessException(String message) {
    super(message, null, false, false);
  }
}
