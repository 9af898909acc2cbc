package dev.vigil.activities.source.mongo;

import dev.vigil.activities.config.Objectives;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.config.SourceConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@code type: mongodb} source.
 *
 * @param uri a MongoDB connection string without user or password ({@code mongodb://host:27017/?…})
 * @param user the user to authenticate as; null connects without credentials
 * @param password where the password lives; never in the URI
 * @param databases the databases to back up; empty means every database but admin, config, local
 * @param tools {@code auto} (mongodump when found, else the driver), {@code mongodump} or {@code
 *     driver}
 * @param mongodump the mongodump binary, or null to look it up on PATH
 * @param mongorestore the mongorestore binary, or null to look it up on PATH
 * @param oplog whether mongodump runs with {@code --oplog} (a point-in-time dump of a replica set;
 *     needs every database); null decides: on when the uri names a replicaSet and no databases are
 *     listed
 * @param validations queries a restored copy must satisfy
 * @param drillUri a scratch MongoDB (no password in it) that drills restore into; null: a drill of
 *     this source fails, saying so
 * @param drillUser the scratch MongoDB's user, or null
 * @param drillPassword where the scratch MongoDB's password lives
 */
public record MongoSource(
    String name,
    String repository,
    String compression,
    Objectives objectives,
    String uri,
    String user,
    SecretRef password,
    List<String> databases,
    String tools,
    Path mongodump,
    Path mongorestore,
    Boolean oplog,
    List<MongoValidation> validations,
    String drillUri,
    String drillUser,
    SecretRef drillPassword)
    implements SourceConfig {
  public static final String AUTO = "auto";
  public static final String MONGODUMP = "mongodump";
  public static final String DRIVER = "driver";

  public MongoSource {
    databases = List.copyOf(databases);
    validations = List.copyOf(validations);
  }

  @Override
  public String type() {
    return MongoDriver.TYPE;
  }

  @Override
  public String kind() {
    return "database";
  }

  /** Whether mongodump runs with --oplog. */
  public boolean useOplog() {
    if (oplog != null) {
      return oplog;
    }
    return databases.isEmpty() && uri.contains("replicaSet=");
  }
}
