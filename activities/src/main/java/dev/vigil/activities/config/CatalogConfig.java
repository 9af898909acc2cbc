package dev.vigil.activities.config;

/** The PostgreSQL database that holds Vigil's catalog. */
public record CatalogConfig(String jdbcUrl, String user, SecretRef password) {}
