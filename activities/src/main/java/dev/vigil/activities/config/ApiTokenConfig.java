package dev.vigil.activities.config;

/**
 * One API bearer token, by reference only.
 *
 * @param name what runs started with it record ({@code api:<name>})
 * @param role {@code viewer} (read) or {@code operator} (read, start runs, manage schedules)
 * @param token where the token lives ({@code token-env} or {@code token-file}); never the token
 */
public record ApiTokenConfig(String name, String role, SecretRef token) {}
