package dev.vigil.infra.retention;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.activities.testing.S3MockFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Real PostgreSQL (source and catalog), S3Mock and a per-test vigil.yaml for retention tests.
 * Temporal environments are set up by each test, as each needs a different one.
 */
final class RetentionHarness implements AutoCloseable {
  static final String KEY_ENV = "VIGIL_TEST_KEY";
  static final Function<String, String> ENVIRONMENT =
      name ->
          switch (name) {
            case "AWS_TEST_ID" -> "test";
            case "AWS_TEST_SECRET" -> "test-secret";
            case KEY_ENV -> Base64.getEncoder().encodeToString(key());
            default -> null;
          };

  final PostgresFixture postgres = PostgresFixture.get();
  final S3MockFixture s3 = S3MockFixture.get();
  final Path dir;
  final String sourceDb;
  final String catalogDb;
  final String bucket;
  final Path spool;
  final Path models;
  private VigilServices services;

  RetentionHarness(Path dir) throws IOException {
    this.dir = dir;
    this.sourceDb = postgres.createDatabase();
    this.catalogDb = postgres.createDatabase();
    this.bucket = s3.newBucket("retention");
    this.spool = Files.createDirectories(dir.resolve("spool"));
    this.models = Files.createDirectories(dir.resolve("models"));
  }

  /** A weights file of {@code bytes} random bytes at {@code relative} under the models dir. */
  Path weights(String relative, int bytes, long seed) throws IOException {
    Path file = models.resolve(relative);
    Files.createDirectories(file.getParent());
    byte[] data = new byte[bytes];
    new Random(seed).nextBytes(data);
    return Files.write(file, data);
  }

  /**
   * A config with {@code modelsExtra} under the models source and {@code appdbExtra} under appdb.
   */
  String config(String modelsExtra, String appdbExtra) {
    return """
        catalog:
          jdbc-url: %s
          user: %s
          password-file: %s
        worker:
          host-id: retention-host
          spool-dir: %s
          restore-roots: [%s]
        repositories:
          main:
            endpoint: %s
            bucket: %s
            path-style-access: true
            access-key-id-env: AWS_TEST_ID
            secret-access-key-env: AWS_TEST_SECRET
        encryption:
          key-env: %s
        sources:
          appdb:
            type: postgres
            host: 127.0.0.1
            port: %d
            database: %s
            user: %s
            password-file: %s
        %s
          models:
            type: directory
            kind: model
            path: %s
        %s
        """
        .formatted(
            postgres.cluster().jdbcUrl(catalogDb),
            postgres.superuser(),
            postgres.passwordFile(),
            spool,
            dir.toAbsolutePath(),
            s3.endpoint(),
            bucket,
            KEY_ENV,
            postgres.cluster().port(),
            sourceDb,
            postgres.superuser(),
            postgres.passwordFile(),
            indent(appdbExtra),
            models,
            indent(modelsExtra));
  }

  private static String indent(String block) {
    return block.isBlank() ? "" : block.stripTrailing().indent(4).stripTrailing();
  }

  VigilConfig load(String yaml) throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(file, yaml);
    return new ConfigLoader(ENVIRONMENT).load(file);
  }

  /** The worker's services, with the catalog migrated. */
  VigilServices services(VigilConfig config) {
    close();
    services = new VigilServices(config, ENVIRONMENT);
    services.catalog().migrate();
    return services;
  }

  /** HEAD of a key, or null if absent. */
  HeadObjectResponse head(String key) {
    try {
      return s3.client().headObject(request -> request.bucket(bucket).key(key));
    } catch (NoSuchKeyException e) {
      return null;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return null;
      }
      throw e;
    }
  }

  /** Every key in the bucket. */
  List<String> keys() {
    List<String> keys = new ArrayList<>();
    for (S3Object object :
        s3.client().listObjectsV2Paginator(request -> request.bucket(bucket)).contents()) {
      keys.add(object.key());
    }
    return keys;
  }

  /** One text column of the catalog's backup row. */
  String catalogText(String backupId, String column) {
    return queryText(
        catalogDb, "SELECT " + column + " FROM vigil.backup WHERE backup_id = ?", backupId);
  }

  String queryText(String database, String sql, String parameter) {
    try (Connection connection = postgres.connect(database);
        PreparedStatement query = connection.prepareStatement(sql)) {
      if (parameter != null) {
        query.setString(1, parameter);
      }
      try (ResultSet row = query.executeQuery()) {
        return row.next() ? row.getString(1) : null;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Puts a backup into the store and the catalog without running the pipeline: a data object of
   * random bytes (or {@code data} if given) with its SHA-256 in metadata, a manifest, and an
   * ARCHIVED catalog row dated {@code daysOld} days ago.
   */
  String fabricate(String backupId, int daysOld, String storageClass, Path data)
      throws IOException {
    Path file = data;
    if (file == null) {
      file = dir.resolve(backupId + ".bin");
      byte[] bytes = new byte[100_000];
      new Random(backupId.hashCode()).nextBytes(bytes);
      Files.write(file, bytes);
    }
    String sha256;
    try (var in = Files.newInputStream(file)) {
      sha256 = dev.vigil.activities.common.Digests.sha256Hex(in);
    }
    long size = Files.size(file);
    String dataKey = "models/" + backupId + "/data.vgl";
    String manifestKey = "models/" + backupId + "/manifest.json";
    s3.client()
        .putObject(
            request ->
                request
                    .bucket(bucket)
                    .key(dataKey)
                    .storageClass(storageClass)
                    .metadata(java.util.Map.of("vigil-sha256", sha256)),
            software.amazon.awssdk.core.sync.RequestBody.fromFile(file));
    s3.client()
        .putObject(
            request -> request.bucket(bucket).key(manifestKey),
            software.amazon.awssdk.core.sync.RequestBody.fromString("{}"));
    postgres.execute(
        catalogDb,
        ("INSERT INTO vigil.backup (backup_id, source, source_type, kind, repository, status,"
                + " started_at, finished_at, consistent_at, raw_bytes, stored_bytes, sha256, bucket,"
                + " object_key, manifest_key, storage_class, format) VALUES ('%s', 'models',"
                + " 'directory', 'model', 'main', 'ARCHIVED', now() - interval '%d days', now() -"
                + " interval '%d days', now() - interval '%d days', %d, %d, '%s', '%s', '%s', '%s',"
                + " '%s', 'tar')")
            .formatted(
                backupId,
                daysOld,
                daysOld,
                daysOld,
                size,
                size,
                sha256,
                bucket,
                dataKey,
                manifestKey,
                storageClass),
        ("INSERT INTO vigil.backup_object (backup_id, role, bucket, object_key, size_bytes,"
                + " sha256, storage_class) VALUES ('%s', 'data', '%s', '%s', %d, '%s', '%s')")
            .formatted(backupId, bucket, dataKey, size, sha256, storageClass));
    return dataKey;
  }

  /** Object keys the catalog claims (ARCHIVED rows) that the store does not have. */
  List<String> claimedButMissing() {
    List<String> missing = new ArrayList<>();
    try (Connection connection = postgres.connect(catalogDb);
        PreparedStatement query =
            connection.prepareStatement(
                "SELECT object_key FROM vigil.backup WHERE status = 'ARCHIVED'"
                    + " UNION SELECT manifest_key FROM vigil.backup WHERE status = 'ARCHIVED'");
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        if (head(rows.getString(1)) == null) {
          missing.add(rows.getString(1));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return missing;
  }

  @Override
  public void close() {
    if (services != null) {
      services.close();
      services = null;
    }
  }

  static byte[] key() {
    byte[] key = new byte[32];
    new Random(17).nextBytes(key);
    return key;
  }
}
