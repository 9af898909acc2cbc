package dev.vigil.starter.api;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;
import jakarta.validation.constraints.NotBlank;

/** {@code vigil.temporal.*}: the Temporal server the API starts runs on. */
@ConfigurationProperties("vigil.temporal")
record TemporalProperties(
    @NotBlank @Bindable(defaultValue = "127.0.0.1:7233") String target,
    @NotBlank @Bindable(defaultValue = "default") String namespace,
    @NotBlank @Bindable(defaultValue = "vigil") String taskQueue) {}
