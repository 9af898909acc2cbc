package dev.vigil.starter.api;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;

/**
 * {@code vigil.catalog.*}: the catalog database, read only. The password is a reference (an env
 * variable name or a file), resolved when the connection pool is made.
 */
@ConfigurationProperties("vigil.catalog")
record CatalogProperties(
    @NotBlank @Pattern(regexp = "jdbc:postgresql:.*") String jdbcUrl,
    @NotBlank String user,
    @Nullable String passwordEnv,
    @Nullable String passwordFile) {}
