package dev.vigil.activities.config;

/** Where the Temporal server is, and the shared task queue. */
public record TemporalConfig(String target, String namespace, String taskQueue) {}
