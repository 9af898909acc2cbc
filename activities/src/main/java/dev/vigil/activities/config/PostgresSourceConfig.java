package dev.vigil.activities.config;

/**
 * A PostgreSQL database, dumped with pg_dump.
 *
 * @param password env or file reference; unset means {@code .pgpass} ({@code PGPASSFILE})
 */
public record PostgresSourceConfig(
    String name,
    String repository,
    String host,
    int port,
    String database,
    String user,
    SecretRef password,
    String compression,
    Objectives objectives)
    implements SourceConfig {

  @Override
  public String type() {
    return "postgres";
  }

  @Override
  public String kind() {
    return "database";
  }
}
