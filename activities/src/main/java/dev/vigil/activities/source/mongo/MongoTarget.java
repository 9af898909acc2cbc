package dev.vigil.activities.source.mongo;

/**
 * Where a MongoDB backup is restored to.
 *
 * @param uri a connection string without a password
 * @param user null for no credentials
 * @param password the resolved password (never logged), or null
 * @param database the database to restore into when the backup holds one database; null keeps the
 *     backed-up name
 * @param databasePrefix put before every backed-up database's name (drills); null for none
 * @param force drop target collections that hold documents (as {@code mongorestore --drop});
 *     without it such a collection refuses the restore before anything is written
 */
public record MongoTarget(
    String uri,
    String user,
    String password,
    String database,
    String databasePrefix,
    boolean force) {

  /** The database a backed-up database lands in. */
  public String databaseFor(String backedUp) {
    if (database != null) {
      return database;
    }
    return databasePrefix == null ? backedUp : databasePrefix + backedUp;
  }

  /** The same target, replacing what is there when {@code replace}. */
  public MongoTarget forced(boolean replace) {
    return new MongoTarget(uri, user, password, database, databasePrefix, replace);
  }

  @Override
  public String toString() {
    // Never the password.
    return "MongoTarget[" + MongoConnections.hosts(uri) + "/" + database + "]";
  }
}
