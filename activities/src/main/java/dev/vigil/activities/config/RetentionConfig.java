package dev.vigil.activities.config;

/** The retention and archival policy of one source. */
public record RetentionConfig(String name) {}
