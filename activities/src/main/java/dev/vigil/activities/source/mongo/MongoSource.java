package dev.vigil.activities.source.mongo;

import dev.vigil.activities.config.SecretRef;
import java.nio.file.Path;
import java.util.List;

/**
 * The keys of a {@code type: mongodb} source.
 *
 * @param name the source's name in vigil.yaml
 * @param uri a MongoDB connection string without a password ({@code mongodb://host:27017/?...})
 * @param user the user to authenticate as; null connects without credentials
 * @param password where the password lives; never in the URI
 * @param databases the databases to back up; empty means every database but admin, config, local
 * @param tools {@code auto} (mongodump when found, else the driver), {@code mongodump} or {@code
 *     driver}
 * @param mongodump the mongodump binary, or null to look it up on PATH
 * @param mongorestore the mongorestore binary, or null to look it up on PATH
 * @param validations queries a restored copy must satisfy
 * @param drillUri a scratch MongoDB (no password) that drills restore into; null skips drills
 */
public record MongoSource(
    String name,
    String uri,
    String user,
    SecretRef password,
    List<String> databases,
    String tools,
    Path mongodump,
    Path mongorestore,
    List<MongoValidation> validations,
    String drillUri) {
  public static final String AUTO = "auto";
  public static final String MONGODUMP = "mongodump";
  public static final String DRIVER = "driver";

  public MongoSource {
    databases = List.copyOf(databases);
    validations = List.copyOf(validations);
  }
}
