package dev.vigil.activities.config;

/** One thing Vigil protects: a PostgreSQL database or a directory. */
public sealed interface SourceConfig permits PostgresSourceConfig, DirectorySourceConfig {
  String name();

  String repository();

  Objectives objectives();

  /** {@code postgres} or {@code directory}. */
  String type();

  /** {@code database}, {@code model}, {@code dataset} or {@code config}. */
  String kind();

  /** {@code auto} (detect), {@code zstd} or {@code none}. */
  String compression();
}
