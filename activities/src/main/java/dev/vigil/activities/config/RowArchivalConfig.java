package dev.vigil.activities.config;

/** Row archival of one table source (old rows to monthly jsonl objects). */
public record RowArchivalConfig(String name) {}
