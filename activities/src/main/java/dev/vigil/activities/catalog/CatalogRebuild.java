package dev.vigil.activities.catalog;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.activities.backup.ManifestIndex;
import dev.vigil.activities.backup.ManifestMac;
import dev.vigil.activities.backup.ManifestWriter;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.restore.BackupManifest;
import dev.vigil.activities.retention.RetentionActivitiesImpl;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Recreates the catalog from one repository when the catalog database is lost: every backup
 * manifest and backup-set manifest in it is checked against its HMAC with the configured keys
 * before anything in it is believed, then becomes an {@code ARCHIVED} backup row (with its data and
 * manifest objects) or a set row. A manifest that fails its check is refused and never inserted.
 *
 * <p>Idempotent: a row that is already there is left as it is; if it disagrees with its authentic
 * manifest the difference is reported. Each manifest is one transaction, so a crash leaves whole
 * rows, and running the rebuild again completes it.
 */
public final class CatalogRebuild {
  /** Who the recreated rows say triggered them. */
  public static final String TRIGGERED_BY = "catalog-rebuild";

  private static final String BACKUP_FORMAT = ManifestWriter.FORMAT;
  private static final String SET_FORMAT = "vigil-backup-set/1";
  private static final Set<String> LARGE_FIELDS = Set.of("files", "tables", "roles");

  private final DataSource catalog;
  private final ManifestWriter manifests;

  /**
   * A rebuild into the catalog at {@code catalog} (its schema already migrated), checking manifests
   * with the keys of {@code manifests}.
   */
  public CatalogRebuild(DataSource catalog, ManifestWriter manifests) {
    this.catalog = catalog;
    this.manifests = manifests;
  }

  /** Rebuilds the rows of every manifest in {@code store}, the repository {@code repository}. */
  public RebuildReport run(String repository, ObjectStore store) {
    // The repository's prefix as keys carry it: "" or "prod/".
    String sets = store.key("sets");
    String prefix = sets.substring(0, sets.length() - "sets".length());
    String setPrefix = prefix + "sets/";
    List<String> backupKeys = new ArrayList<>();
    List<String> setKeys = new ArrayList<>();
    for (String key : store.list(prefix)) {
      String relative = key.substring(prefix.length());
      if (key.startsWith(setPrefix) && key.endsWith(".json") && relative.indexOf('/', 5) < 0) {
        setKeys.add(key);
      } else if (relative.split("/", -1).length == 3 && relative.endsWith("/" + Spool.MANIFEST)) {
        // <source>/<backup-id>/manifest.json
        backupKeys.add(key);
      }
    }
    Tally tally = new Tally();
    for (String key : backupKeys) {
      rebuild(store, key, tally, true, repository);
    }
    for (String key : setKeys) {
      rebuild(store, key, tally, false, repository);
    }
    return new RebuildReport(
        repository,
        "s3://" + store.bucket() + (prefix.isEmpty() ? "" : "/" + prefix.replaceAll("/$", "")),
        backupKeys.size(),
        tally.backupsAdded,
        tally.backupsPresent,
        setKeys.size(),
        tally.setsAdded,
        tally.setsPresent,
        tally.refused,
        tally.conflicts);
  }

  private void rebuild(
      ObjectStore store, String key, Tally tally, boolean backup, String repository) {
    String where = "manifest s3://" + store.bucket() + "/" + key;
    Path file = null;
    try {
      Optional<StoredObject> head = store.head(key);
      if (head.isEmpty()) {
        tally.refused.add("refused: " + where + " vanished while the rebuild read it");
        return;
      }
      file = Files.createTempFile("vigil-rebuild-", ".json");
      try (InputStream in = store.open(key)) {
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
      // Nothing in the manifest is read before its HMAC verifies.
      manifests.check(
          file,
          head.get().metadata().get(ManifestMac.HMAC_METADATA),
          head.get().metadata().get(ManifestMac.KEY_ID_METADATA),
          null,
          where);
      ObjectNode manifest = readSmallFields(file, where);
      if (backup) {
        rebuildBackup(store, key, where, manifest, file, tally, repository);
      } else {
        rebuildSet(store, key, where, manifest, tally);
      }
    } catch (VigilException e) {
      if (e.type() == ErrorType.CATALOG_UNAVAILABLE || e.type() == ErrorType.CATALOG_CONFLICT) {
        throw e;
      }
      tally.refused.add("refused: " + e.getMessage());
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.REPOSITORY_UNAVAILABLE, "cannot read " + where + ": " + e.getMessage(), e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // A temp file; the OS cleans it.
        }
      }
    }
  }

  private void rebuildBackup(
      ObjectStore store,
      String key,
      String where,
      ObjectNode manifest,
      Path manifestFile,
      Tally tally,
      String repository) {
    requireFormat(manifest, BACKUP_FORMAT, where);
    String backupId = text(manifest, "backupId");
    JsonNode source = manifest.path("source");
    JsonNode sealed = manifest.path("sealed");
    JsonNode object = manifest.path("object");
    String sourceName = text(source, "name");
    String objectKey = text(object, "key");
    String sha256 = text(sealed, "sha256");
    if (backupId == null || sourceName == null || objectKey == null || sha256 == null) {
      throw refused(where + " lacks backupId, source.name, object.key or sealed.sha256");
    }
    // An authentic manifest copied under another backup's key describes that other backup.
    String directory = sourceName + "/" + backupId + "/";
    if (!key.equals(store.key(directory + Spool.MANIFEST))
        || !objectKey.equals(store.key(directory + Spool.SEALED))) {
      throw refused(
          where
              + " describes backup '"
              + backupId
              + "' stored at '"
              + objectKey
              + "', not the one at its own place; it was copied or moved");
    }
    String coldKey = RetentionActivitiesImpl.coldKey(objectKey);
    Optional<StoredObject> data = store.head(objectKey);
    String dataKey = objectKey;
    String hotKey = null;
    if (data.isEmpty()) {
      data = store.head(coldKey);
      dataKey = coldKey;
      hotKey = objectKey;
    }
    long storedBytes = sealed.path("storedBytes").asLong();
    if (data.isEmpty()) {
      throw refused(
          where
              + ": its data object '"
              + objectKey
              + "' is missing from the repository; the backup cannot be restored");
    }
    if (data.get().size() != storedBytes) {
      throw refused(
          where
              + ": its data object '"
              + dataKey
              + "' is "
              + data.get().size()
              + " bytes, the manifest says "
              + storedBytes
              + "; the backup cannot be trusted");
    }
    String storageClass =
        data.get().storageClass() != null
            ? data.get().storageClass()
            : Objects.requireNonNullElse(text(object, "storageClass"), "STANDARD");
    try (Connection connection = catalog.getConnection()) {
      connection.setAutoCommit(false);
      try {
        Optional<List<String>> existing = differences(connection, backupId, sha256, dataKey);
        if (existing.isPresent()) {
          connection.rollback();
          if (existing.get().isEmpty()) {
            tally.backupsPresent++;
          } else {
            tally.conflicts.add(
                "conflict: backup '"
                    + backupId
                    + "' in the catalog has "
                    + String.join(", ", existing.get())
                    + " ("
                    + where
                    + "); the row was left as it is");
          }
          return;
        }
        insertBackup(
            connection,
            manifest,
            repository,
            store.bucket(),
            dataKey,
            hotKey,
            key,
            storageClass,
            data.get().size());
        // Its files or tables too, with the row: the API lists them from the catalog.
        ManifestIndex.replaceEntries(
            connection,
            backupId,
            BackupManifest.trusted(manifestFile),
            "directory".equals(text(source, "type")));
        connection.commit();
        tally.backupsAdded++;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw unavailable("recreating backup " + backupId, e);
    }
  }

  /**
   * How the catalog's row for {@code backupId} differs from its manifest (empty: it agrees); empty
   * when the catalog has no such row.
   */
  private static Optional<List<String>> differences(
      Connection connection, String backupId, String sha256, String dataKey) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT status, sha256, object_key, hot_object_key FROM vigil.backup"
                + " WHERE backup_id = ?")) {
      query.setString(1, backupId);
      try (ResultSet row = query.executeQuery()) {
        if (!row.next()) {
          return Optional.empty();
        }
        List<String> differences = new ArrayList<>();
        if (!"ARCHIVED".equals(row.getString(1))) {
          differences.add("status " + row.getString(1) + " where the manifest is of an archive");
        }
        if (!sha256.equals(row.getString(2))) {
          differences.add("sha256 " + row.getString(2) + " where the manifest has " + sha256);
        }
        if (!dataKey.equals(row.getString(3)) && !dataKey.equals(row.getString(4))) {
          differences.add(
              "object key " + row.getString(3) + " where the repository has " + dataKey);
        }
        return Optional.of(differences);
      }
    }
  }

  private static void insertBackup(
      Connection connection,
      ObjectNode manifest,
      String repository,
      String bucket,
      String dataKey,
      String hotKey,
      String manifestKey,
      String storageClass,
      long dataSize)
      throws SQLException {
    JsonNode source = manifest.path("source");
    JsonNode dump = manifest.path("dump");
    JsonNode sealed = manifest.path("sealed");
    JsonNode tools = manifest.path("tools");
    JsonNode physical = manifest.path("physical");
    String backupId = text(manifest, "backupId");
    Instant consistentAt = instant(text(manifest, "consistentAt"));
    Instant writtenAt = instant(text(manifest, "writtenAt"));
    Instant startedAt = instant(text(physical, "startedAt"));
    List<String> warnings = new ArrayList<>();
    manifest.path("warnings").forEach(warning -> warnings.add(warning.asText()));
    String sql =
        "INSERT INTO vigil.backup (backup_id, set_id, source, source_type, kind, repository,"
            + " status, started_at, finished_at, consistent_at, raw_bytes, stored_bytes, sha256,"
            + " compression, encryption, key_id, bucket, object_key, manifest_key,"
            + " storage_class, format, tool_version, server_version, warnings, triggered_by,"
            + " hot_object_key, archived_cold_at, backup_mode, start_lsn, stop_lsn, timeline,"
            + " backup_started_at, backup_stopped_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, 'ARCHIVED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            + " ?, ?, ?, ?, ?, ?, ?::pg_lsn, ?::pg_lsn, ?, ?, ?)";
    try (PreparedStatement insert = connection.prepareStatement(sql)) {
      insert.setString(1, backupId);
      insert.setString(2, text(manifest, "setId"));
      insert.setString(3, text(source, "name"));
      insert.setString(4, Objects.requireNonNullElse(text(source, "type"), "unknown"));
      insert.setString(5, Objects.requireNonNullElse(text(source, "kind"), "unknown"));
      insert.setString(6, repository);
      Instant started =
          startedAt != null
              ? startedAt
              : Objects.requireNonNullElse(
                  consistentAt, Objects.requireNonNullElse(writtenAt, Instant.EPOCH));
      setInstant(insert, 7, started);
      setInstant(insert, 8, writtenAt);
      setInstant(insert, 9, consistentAt);
      insert.setLong(10, dump.path("rawBytes").asLong());
      insert.setLong(11, sealed.path("storedBytes").asLong());
      insert.setString(12, text(sealed, "sha256"));
      insert.setString(13, text(sealed, "compression"));
      insert.setString(14, text(sealed, "encryption"));
      insert.setString(15, text(sealed, "keyId"));
      insert.setString(16, bucket);
      insert.setString(17, dataKey);
      insert.setString(18, manifestKey);
      insert.setString(19, storageClass);
      insert.setString(20, text(dump, "format"));
      insert.setString(21, text(tools, "dump"));
      insert.setString(22, text(tools, "server"));
      insert.setArray(23, connection.createArrayOf("text", warnings.toArray()));
      insert.setString(24, TRIGGERED_BY);
      insert.setString(25, hotKey);
      setInstant(insert, 26, hotKey == null ? null : writtenAt);
      boolean isPhysical = physical.isObject();
      insert.setString(27, isPhysical ? "physical" : null);
      insert.setString(28, isPhysical ? text(physical, "startLsn") : null);
      insert.setString(29, isPhysical ? text(physical, "stopLsn") : null);
      if (isPhysical) {
        insert.setInt(30, physical.path("timeline").asInt());
      } else {
        insert.setNull(30, Types.INTEGER);
      }
      setInstant(insert, 31, isPhysical ? startedAt : null);
      setInstant(insert, 32, isPhysical ? instant(text(physical, "stoppedAt")) : null);
      insert.executeUpdate();
    }
    String objects =
        "INSERT INTO vigil.backup_object (backup_id, role, bucket, object_key, size_bytes, sha256,"
            + " storage_class) VALUES (?, ?, ?, ?, ?, ?, ?)";
    try (PreparedStatement insert = connection.prepareStatement(objects)) {
      insert.setString(1, backupId);
      insert.setString(2, "data");
      insert.setString(3, bucket);
      insert.setString(4, dataKey);
      insert.setLong(5, dataSize);
      insert.setString(6, text(sealed, "sha256"));
      insert.setString(7, storageClass);
      insert.executeUpdate();
      insert.setString(2, "manifest");
      insert.setString(4, manifestKey);
      insert.setNull(5, Types.BIGINT);
      insert.setNull(6, Types.VARCHAR);
      insert.executeUpdate();
    }
  }

  private void rebuildSet(
      ObjectStore store, String key, String where, ObjectNode manifest, Tally tally) {
    requireFormat(manifest, SET_FORMAT, where);
    String setId = text(manifest, "setId");
    if (setId == null || !key.equals(store.key("sets/" + setId + ".json"))) {
      throw refused(where + " describes set '" + setId + "', not the one at its own place");
    }
    String status = text(manifest, "status");
    List<String> backupIds = new ArrayList<>();
    int archived = 0;
    for (JsonNode backup : manifest.path("backups")) {
      if ("ARCHIVED".equals(text(backup, "status"))) {
        archived++;
        backupIds.add(text(backup, "backupId"));
      }
    }
    try (Connection connection = catalog.getConnection()) {
      connection.setAutoCommit(false);
      try {
        String existing = null;
        try (PreparedStatement query =
            connection.prepareStatement("SELECT status FROM vigil.backup_set WHERE set_id = ?")) {
          query.setString(1, setId);
          try (ResultSet row = query.executeQuery()) {
            if (row.next()) {
              existing = row.getString(1);
            }
          }
        }
        if (existing != null) {
          if (existing.equals(status)) {
            tally.setsPresent++;
          } else {
            tally.conflicts.add(
                "conflict: backup set '"
                    + setId
                    + "' in the catalog has status "
                    + existing
                    + " where "
                    + where
                    + " has "
                    + status
                    + "; the row was left as it is");
          }
        } else {
          try (PreparedStatement insert =
              connection.prepareStatement(
                  "INSERT INTO vigil.backup_set (set_id, plan, status, manifest_key,"
                      + " triggered_by, started_at, finished_at, source_count, archived_count)"
                      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, setId);
            insert.setString(2, Objects.requireNonNullElse(text(manifest, "plan"), "unknown"));
            insert.setString(3, status);
            insert.setString(4, key);
            insert.setString(5, text(manifest, "triggeredBy"));
            setInstant(
                insert,
                6,
                Objects.requireNonNullElse(instant(text(manifest, "startedAt")), Instant.EPOCH));
            setInstant(insert, 7, instant(text(manifest, "finishedAt")));
            insert.setInt(8, manifest.path("backups").size());
            insert.setInt(9, archived);
            insert.executeUpdate();
          }
          tally.setsAdded++;
        }
        // Backups whose own manifest did not name the set (or were rebuilt from another
        // repository) join it; a backup another set holds is not taken from it.
        try (PreparedStatement link =
            connection.prepareStatement(
                "UPDATE vigil.backup SET set_id = ? WHERE backup_id = ANY (?) AND set_id IS NULL")) {
          link.setString(1, setId);
          link.setArray(2, connection.createArrayOf("text", backupIds.toArray()));
          link.executeUpdate();
        }
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw unavailable("recreating backup set " + setId, e);
    }
  }

  /**
   * The manifest without its long lists (file lists, row counts, roles), which a row never needs.
   */
  private static ObjectNode readSmallFields(Path file, String where) {
    ObjectNode manifest = Json.MAPPER.createObjectNode();
    try (JsonParser parser = Json.MAPPER.createParser(file.toFile())) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw refused(where + " is not a JSON object");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        parser.nextToken();
        if (LARGE_FIELDS.contains(name)) {
          parser.skipChildren();
        } else {
          manifest.set(name, parser.readValueAsTree());
        }
      }
    } catch (IOException e) {
      throw refused(where + " is not valid JSON: " + e.getMessage());
    }
    return manifest;
  }

  private static void requireFormat(JsonNode manifest, String format, String where) {
    String found = text(manifest, "format");
    if (!format.equals(found)) {
      throw refused(
          where + " has format '" + found + "'; this Vigil rebuilds from '" + format + "' only");
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() || !value.isValueNode() ? null : value.asText();
  }

  private static Instant instant(String text) {
    try {
      return text == null ? null : Instant.parse(text);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  private static void setInstant(PreparedStatement statement, int index, Instant value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      statement.setObject(index, value.atOffset(ZoneOffset.UTC));
    }
  }

  private static VigilException refused(String message) {
    return new VigilException(ErrorType.MANIFEST_INVALID, message);
  }

  private static VigilException unavailable(String action, SQLException e) {
    return new VigilException(
        ErrorType.CATALOG_UNAVAILABLE,
        "catalog: " + action + " failed: " + e.getMessage() + "; check catalog.jdbc-url",
        e);
  }

  /** Counts and lines as the rebuild goes. */
  private static final class Tally {
    int backupsAdded;
    int backupsPresent;
    int setsAdded;
    int setsPresent;
    final List<String> refused = new ArrayList<>();
    final List<String> conflicts = new ArrayList<>();
  }
}
