package dev.vigil.workflows.restore;

/**
 * Where a backup is restored to. Only references: a password is named by a file path, never
 * carried.
 *
 * @param type {@code database} (a database on an existing server), {@code fresh-cluster} (a new
 *     cluster Vigil starts on a free port) or {@code directory} (a directory backup, or a physical
 *     one as a data directory); as restored also {@code data-directory} (a physical backup's data
 *     directory, while its temporary server runs with that server's host and port)
 * @param host server host for {@code database}; null means the source's own server
 * @param port server port for {@code database}; 0 means the source's own
 * @param database target database name for {@code database} and {@code fresh-cluster}
 * @param user user for {@code database}; null means the source's own
 * @param passwordFile a file holding the password for {@code database}; null means the source's
 * @param directory target directory for {@code directory}
 */
public record RestoreTarget(
    String type,
    String host,
    int port,
    String database,
    String user,
    String passwordFile,
    String directory) {

  /** A database of that name on the source's own server. */
  public static RestoreTarget database(String database) {
    return new RestoreTarget("database", null, 0, database, null, null, null);
  }

  /** A directory. */
  public static RestoreTarget directory(String directory) {
    return new RestoreTarget("directory", null, 0, null, null, null, directory);
  }
}
