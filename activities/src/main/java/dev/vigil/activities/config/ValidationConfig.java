package dev.vigil.activities.config;

/** A user-defined validation query run against a restored database. */
public record ValidationConfig(String name) {}
