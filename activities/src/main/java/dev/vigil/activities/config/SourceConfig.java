package dev.vigil.activities.config;

/**
 * One thing Vigil protects: a PostgreSQL database, a directory, … Each {@code type:} has its own
 * record, read by its {@code SourceDriver}.
 */
public interface SourceConfig {
  String name();

  String repository();

  Objectives objectives();

  /** The {@code type:} of its driver: {@code postgres}, {@code directory}, … */
  String type();

  /** {@code database}, {@code model}, {@code dataset} or {@code config}. */
  String kind();

  /** {@code auto} (detect), {@code zstd} or {@code none}. */
  String compression();
}
