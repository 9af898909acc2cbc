package dev.vigil.workflows.connection;

/**
 * TLS to the Temporal server. Every part is optional: without {@code serverCa} the JVM's trusted
 * roots verify the server; without a client certificate and key no mutual TLS.
 *
 * @param serverCa the CA certificate(s), PEM, that issued the server's certificate
 * @param clientCert the client certificate (chain), PEM, for mutual TLS
 * @param clientKey the client certificate's private key, unencrypted PKCS#8 PEM
 * @param serverName the name to verify the server's certificate against (and send as SNI) when it
 *     differs from the host of {@code temporal.target}
 */
public record TemporalTls(
    TemporalReference serverCa,
    TemporalReference clientCert,
    TemporalReference clientKey,
    String serverName) {
  /** TLS verified against the JVM's trusted roots, no client certificate. */
  public static final TemporalTls SYSTEM_ROOTS = new TemporalTls(null, null, null, null);
}
