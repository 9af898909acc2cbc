package dev.vigil.activities.config;

import java.util.Map;

/**
 * The {@code api:} section: where {@code vigil api} listens and who may call it.
 *
 * @param port TCP port (0 picks a free one)
 * @param bind the address to listen on
 * @param tokens per token name (the name is what runs record as {@code api:<name>}), in file order
 */
public record ApiConfig(int port, String bind, Map<String, ApiTokenConfig> tokens) {
  /** The port when none is configured. */
  public static final int DEFAULT_PORT = 8080;

  /** The bind address when none is configured (deployments; the embedded stack sets loopback). */
  public static final String DEFAULT_BIND = "0.0.0.0";

  /** No {@code api:} section: defaults and no tokens ({@code vigil api} then refuses to start). */
  public static final ApiConfig NONE = new ApiConfig(DEFAULT_PORT, DEFAULT_BIND, Map.of());
}
