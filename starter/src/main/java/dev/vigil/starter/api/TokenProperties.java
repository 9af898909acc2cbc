package dev.vigil.starter.api;

import io.micronaut.context.annotation.EachProperty;
import io.micronaut.context.annotation.Parameter;
import io.micronaut.core.annotation.Nullable;

/**
 * {@code vigil.api.tokens.<name>.*}: one bearer token by reference ({@code token-env} or {@code
 * token-file}) and its role. Never holds the token itself.
 */
@EachProperty("vigil.api.tokens")
record TokenProperties(
    @Parameter String name,
    @Nullable String role,
    @Nullable String tokenEnv,
    @Nullable String tokenFile) {}
