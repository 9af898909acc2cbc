package dev.vigil.activities.config;

/**
 * The worker's HTTP endpoint for {@code /metrics} (Prometheus) and {@code /health/live|ready}.
 *
 * @param bind the address to listen on; loopback by default, {@code 0.0.0.0} in containers
 * @param port the TCP port; {@code 0} turns the endpoint off
 */
public record MetricsConfig(String bind, int port) {
  /** Prometheus' registered default port for exporters of this kind. */
  public static final int DEFAULT_PORT = 9464;

  public static final String DEFAULT_BIND = "127.0.0.1";

  /** The endpoint as it is without a {@code metrics:} section. */
  public static final MetricsConfig DEFAULT = new MetricsConfig(DEFAULT_BIND, DEFAULT_PORT);

  /** False when {@code port: 0} turns the endpoint off. */
  public boolean enabled() {
    return port > 0;
  }
}
