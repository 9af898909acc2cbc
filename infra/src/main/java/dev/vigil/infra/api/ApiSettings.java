package dev.vigil.infra.api;

import dev.vigil.activities.config.ApiTokenConfig;
import dev.vigil.activities.config.CatalogConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.starter.api.ApiConfigurationException;
import dev.vigil.starter.api.ApiServer;
import dev.vigil.workflows.connection.TemporalReference;
import dev.vigil.workflows.connection.TemporalTls;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * vigil.yaml's {@code temporal}, {@code catalog} and {@code api} sections as the properties of
 * {@link ApiServer}. Secrets stay references: env variable names and file paths, never values.
 */
public final class ApiSettings {
  private ApiSettings() {}

  /** The API's properties for {@code config}; throws if it has no catalog to list from. */
  public static Map<String, Object> from(VigilConfig config) {
    CatalogConfig catalog = config.catalog();
    if (catalog == null) {
      throw new ApiConfigurationException(
          config.file()
              + ": catalog: missing; the API lists backups from the catalog, add a catalog"
              + " section (jdbc-url, user, password-env or password-file)");
    }
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("micronaut.server.host", config.api().bind());
    properties.put("micronaut.server.port", config.api().port());
    properties.put("vigil.temporal.target", config.temporal().target());
    properties.put("vigil.temporal.namespace", config.temporal().namespace());
    properties.put("vigil.temporal.task-queue", config.temporal().taskQueue());
    TemporalTls tls = config.temporal().tls();
    if (tls != null) {
      properties.put("vigil.temporal.tls", true);
      reference(properties, "vigil.temporal.tls-server-ca", tls.serverCa());
      reference(properties, "vigil.temporal.tls-client-cert", tls.clientCert());
      reference(properties, "vigil.temporal.tls-client-key", tls.clientKey());
      if (tls.serverName() != null) {
        properties.put("vigil.temporal.tls-server-name", tls.serverName());
      }
    }
    reference(properties, "vigil.temporal.api-key", config.temporal().apiKey());
    properties.put("vigil.catalog.jdbc-url", catalog.jdbcUrl());
    properties.put("vigil.catalog.user", catalog.user());
    reference(properties, "vigil.catalog.password", catalog.password());
    // Lets the API refuse unknown names at once (400) instead of starting a run that fails.
    properties.put("vigil.known.sources", List.copyOf(config.sources().keySet()));
    properties.put("vigil.known.drill-plans", List.copyOf(config.drills().keySet()));
    // The console compares each source's backup age with its RPO objective.
    properties.put(
        "vigil.console.source-rpo",
        config.sources().values().stream()
            .filter(source -> source.objectives() != null && source.objectives().rpo() != null)
            .map(source -> source.name() + "=" + source.objectives().rpo().toMillis())
            .toList());
    for (ApiTokenConfig token : config.api().tokens().values()) {
      String prefix = "vigil.api.tokens." + token.name();
      properties.put(prefix + ".role", token.role());
      reference(properties, prefix + ".token", token.token());
    }
    return properties;
  }

  private static void reference(Map<String, Object> properties, String key, TemporalReference ref) {
    if (ref != null) {
      reference(properties, key, new SecretRef(ref.env(), ref.file()));
    }
  }

  private static void reference(Map<String, Object> properties, String key, SecretRef ref) {
    if (ref.env() != null) {
      properties.put(key + "-env", ref.env());
    } else if (ref.file() != null) {
      properties.put(key + "-file", ref.file().toString());
    }
  }
}
