package dev.vigil.activities.config;

/**
 * A PostgreSQL source: one database dumped with pg_dump ({@code mode: logical}, the default), or
 * the whole cluster copied with pg_basebackup ({@code mode: physical}).
 *
 * @param password env or file reference; unset means {@code .pgpass} ({@code PGPASSFILE})
 * @param mode {@link #LOGICAL} or {@link #PHYSICAL}
 * @param fastCheckpoint physical only: {@code checkpoint: fast} (the default) asks the server for
 *     an immediate checkpoint; {@code spread} waits for a spread one
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
    Objectives objectives,
    String mode,
    boolean fastCheckpoint)
    implements SourceConfig {

  /** pg_dump of one database. */
  public static final String LOGICAL = "logical";

  /** pg_basebackup of the whole cluster (tar format, streamed WAL). */
  public static final String PHYSICAL = "physical";

  /** A logical source, as before physical backups existed. */
  public PostgresSourceConfig(
      String name,
      String repository,
      String host,
      int port,
      String database,
      String user,
      SecretRef password,
      String compression,
      Objectives objectives) {
    this(
        name,
        repository,
        host,
        port,
        database,
        user,
        password,
        compression,
        objectives,
        LOGICAL,
        true);
  }

  /** Whether backups of this source are pg_basebackup copies of the cluster. */
  public boolean physical() {
    return PHYSICAL.equals(mode);
  }

  @Override
  public String type() {
    return "postgres";
  }

  @Override
  public String kind() {
    return "database";
  }
}
