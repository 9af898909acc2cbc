package dev.vigil.starter.api;

import dev.vigil.workflows.connection.TemporalAccess;
import dev.vigil.workflows.connection.TemporalReference;
import dev.vigil.workflows.connection.TemporalTls;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import jakarta.validation.constraints.NotBlank;
import java.nio.file.Path;

/**
 * {@code vigil.temporal.*}: the Temporal server the API starts runs on, and how to reach it. TLS
 * material and the API key are references (env variable names, files) as in vigil.yaml; {@code tls}
 * turns TLS on.
 */
@ConfigurationProperties("vigil.temporal")
record TemporalProperties(
    @NotBlank @Bindable(defaultValue = "127.0.0.1:7233") String target,
    @NotBlank @Bindable(defaultValue = "default") String namespace,
    @NotBlank @Bindable(defaultValue = "vigil") String taskQueue,
    @Bindable(defaultValue = "false") boolean tls,
    @Nullable String tlsServerCaEnv,
    @Nullable String tlsServerCaFile,
    @Nullable String tlsClientCertEnv,
    @Nullable String tlsClientCertFile,
    @Nullable String tlsClientKeyEnv,
    @Nullable String tlsClientKeyFile,
    @Nullable String tlsServerName,
    @Nullable String apiKeyEnv,
    @Nullable String apiKeyFile) {

  /** What the shared stubs builder connects with. */
  TemporalAccess access() {
    TemporalTls settings =
        tls
            ? new TemporalTls(
                reference("temporal.tls.server-ca", tlsServerCaEnv, tlsServerCaFile),
                reference("temporal.tls.client-cert", tlsClientCertEnv, tlsClientCertFile),
                reference("temporal.tls.client-key", tlsClientKeyEnv, tlsClientKeyFile),
                tlsServerName)
            : null;
    return new TemporalAccess(
        target, settings, reference("temporal.api-key", apiKeyEnv, apiKeyFile));
  }

  private static TemporalReference reference(String setting, String env, String file) {
    if (env == null && file == null) {
      return null;
    }
    return new TemporalReference(setting, env, env != null ? null : Path.of(file));
  }
}
