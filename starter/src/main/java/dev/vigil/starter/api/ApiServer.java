package dev.vigil.starter.api;

import io.micronaut.context.ApplicationContext;
import io.micronaut.context.exceptions.BeanInstantiationException;
import io.micronaut.runtime.server.EmbeddedServer;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs Vigil's HTTP API (Micronaut) from a map of properties, which {@code vigil api} derives from
 * vigil.yaml: {@code vigil.temporal.*}, {@code vigil.catalog.*}, {@code vigil.api.tokens.<name>.*}
 * and {@code micronaut.server.host}/{@code port}.
 */
public final class ApiServer implements AutoCloseable {
  private final ApplicationContext context;
  private final EmbeddedServer server;

  private ApiServer(ApplicationContext context, EmbeddedServer server) {
    this.context = context;
    this.server = server;
  }

  /**
   * Starts the API and returns once it listens. A configuration that cannot work (no tokens, an
   * unreadable token file) throws {@link ApiConfigurationException} with one line.
   */
  public static ApiServer start(Map<String, Object> properties) {
    ApplicationContext context = null;
    try {
      context = ApplicationContext.builder().properties(withDefaults(properties)).start();
      EmbeddedServer server = context.getBean(EmbeddedServer.class);
      server.start();
      return new ApiServer(context, server);
    } catch (RuntimeException e) {
      if (context != null && context.isRunning()) {
        context.close();
      }
      throw configurationProblem(e);
    }
  }

  /**
   * The fixed settings of the API (routes of the OpenAPI document, management endpoints, JSON
   * dates) under the given properties; the given ones win.
   */
  public static Map<String, Object> withDefaults(Map<String, Object> properties) {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("micronaut.application.name", "vigil-api");
    all.put("micronaut.banner.enabled", false);
    all.put("micronaut.server.port", 8080);
    // The OpenAPI document is generated at build time into META-INF/swagger.
    all.put("micronaut.router.static-resources.openapi.paths", "classpath:META-INF/swagger");
    all.put("micronaut.router.static-resources.openapi.mapping", "/openapi/**");
    // The web console's script and styles, and its libraries from WebJars (no CDN at run time).
    all.put("micronaut.router.static-resources.console.paths", "classpath:console");
    all.put("micronaut.router.static-resources.console.mapping", "/console/assets/**");
    all.put(
        "micronaut.router.static-resources.console-lib.paths",
        "classpath:META-INF/resources/webjars");
    all.put("micronaut.router.static-resources.console-lib.mapping", "/console/lib/**");
    // /health for probes (status only to anonymous callers); /metrics is MetricsController.
    all.put("endpoints.all.enabled", false);
    all.put("endpoints.health.enabled", true);
    all.put("endpoints.health.sensitive", false);
    all.put("endpoints.health.details-visible", "NEVER");
    all.put("micronaut.metrics.enabled", true);
    all.put("micronaut.metrics.export.prometheus.enabled", true);
    all.put("micronaut.metrics.export.prometheus.descriptions", true);
    all.put("micronaut.serde.write-dates-as-timestamps", false);
    // Every field of a view, null or empty too: one shape per type for scripts (jq) and clients.
    all.put("micronaut.serde.serialization.inclusion", "ALWAYS");
    all.putAll(properties);
    return all;
  }

  /** Where the API listens, e.g. {@code http://127.0.0.1:8080}. */
  public URI url() {
    return server.getURI();
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    context.close();
  }

  private static RuntimeException configurationProblem(RuntimeException failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof ApiConfigurationException config) {
        return config;
      }
    }
    if (failure instanceof BeanInstantiationException) {
      Throwable root = failure;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      if (root instanceof jakarta.validation.ConstraintViolationException violation) {
        return new ApiConfigurationException(
            "invalid API configuration: " + violation.getMessage());
      }
    }
    return failure;
  }
}
