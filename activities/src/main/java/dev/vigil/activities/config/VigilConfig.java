package dev.vigil.activities.config;

import java.nio.file.Path;
import java.util.Map;

/** A validated vigil.yaml. Maps keep the file's order. */
public record VigilConfig(
    Path file,
    TemporalConfig temporal,
    WorkerConfig worker,
    CatalogConfig catalog,
    Map<String, S3RepositoryConfig> repositories,
    EncryptionConfig encryption,
    Map<String, SourceConfig> sources) {}
