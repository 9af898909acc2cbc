package dev.vigil.activities.check;

import dev.vigil.activities.common.SqlErrors;
import dev.vigil.activities.common.VigilException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;

/** What {@code vigil check} reads from the catalog: every backup row and every backup set. */
final class CheckCatalog {
  private final DataSource dataSource;

  CheckCatalog(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * One backup row with what it claims in its repository.
   *
   * @param dataBytes the data object's size as verified after upload
   * @param sha256 the data object's SHA-256 (of the stored, sealed bytes)
   * @param rawBytes the unsealed size
   * @param hotObjectKey the original data object of a backup moved to cold storage, or null
   */
  record Backup(
      String backupId,
      String source,
      String repository,
      String status,
      String bucket,
      String objectKey,
      String manifestKey,
      String hotObjectKey,
      long dataBytes,
      String sha256,
      long rawBytes,
      String storageClass) {}

  /**
   * One backup set.
   *
   * @param manifestKey the key of its manifest (the same under every repository's prefix), or null
   *     when none was written
   * @param repositories the repositories a manifest was written to: those of its archived backups
   */
  record BackupSet(String setId, String manifestKey, Set<String> repositories) {}

  /** Every backup by id, ordered by source and age. */
  Map<String, Backup> backups() {
    String sql =
        "SELECT b.backup_id, b.source, b.repository, b.status, b.bucket, b.object_key,"
            + " b.manifest_key, b.hot_object_key, COALESCE(o.size_bytes, b.stored_bytes) AS"
            + " data_bytes, COALESCE(o.sha256, b.sha256) AS sha256, b.raw_bytes, b.storage_class"
            + " FROM vigil.backup b LEFT JOIN vigil.backup_object o"
            + " ON o.backup_id = b.backup_id AND o.role = 'data'"
            + " ORDER BY b.source, COALESCE(b.consistent_at, b.started_at), b.backup_id";
    Map<String, Backup> backups = new LinkedHashMap<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql);
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        Backup backup =
            new Backup(
                rows.getString("backup_id"),
                rows.getString("source"),
                rows.getString("repository"),
                rows.getString("status"),
                rows.getString("bucket"),
                rows.getString("object_key"),
                rows.getString("manifest_key"),
                rows.getString("hot_object_key"),
                rows.getLong("data_bytes"),
                rows.getString("sha256"),
                rows.getLong("raw_bytes"),
                rows.getString("storage_class"));
        backups.put(backup.backupId(), backup);
      }
      return backups;
    } catch (SQLException e) {
      throw failure("listing backups", e);
    }
  }

  /** Every backup set by id. */
  Map<String, BackupSet> sets() {
    // A manifest went to each repository that took an archived backup of the set; a backup pruned
    // since was archived then.
    String sql =
        "SELECT s.set_id, s.manifest_key, array_remove(array_agg(DISTINCT b.repository)"
            + " FILTER (WHERE b.status IN ('ARCHIVED', 'PRUNING', 'PRUNED')), NULL) AS repositories"
            + " FROM vigil.backup_set s LEFT JOIN vigil.backup b ON b.set_id = s.set_id"
            + " GROUP BY s.set_id, s.manifest_key ORDER BY s.set_id";
    Map<String, BackupSet> sets = new LinkedHashMap<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql);
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        Set<String> repositories = new TreeSet<>();
        Array array = rows.getArray("repositories");
        if (array != null) {
          for (Object repository : (Object[]) array.getArray()) {
            repositories.add((String) repository);
          }
        }
        String setId = rows.getString("set_id");
        sets.put(setId, new BackupSet(setId, rows.getString("manifest_key"), repositories));
      }
      return sets;
    } catch (SQLException e) {
      throw failure("listing backup sets", e);
    }
  }

  /** A copy in a second repository that accounts for a stored object there. */
  record CopyClaim(String source, String itemId) {}

  /**
   * Per copy repository, the object keys its copies hold (backups' data and manifest objects, set
   * manifests): copied, verified, failed (the next run writes it again) or being pruned. A pruned
   * copy claims nothing.
   */
  Map<String, Map<String, CopyClaim>> copies() {
    String sql =
        "SELECT repository, source, item_id, object_key, manifest_key FROM vigil.backup_copy"
            + " WHERE state IN ('COPIED', 'VERIFIED', 'FAILED', 'PRUNING')";
    Map<String, Map<String, CopyClaim>> copies = new LinkedHashMap<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql);
        ResultSet rows = query.executeQuery()) {
      while (rows.next()) {
        Map<String, CopyClaim> keys =
            copies.computeIfAbsent(rows.getString("repository"), name -> new LinkedHashMap<>());
        CopyClaim claim = new CopyClaim(rows.getString("source"), rows.getString("item_id"));
        keys.put(rows.getString("object_key"), claim);
        if (rows.getString("manifest_key") != null) {
          keys.put(rows.getString("manifest_key"), claim);
        }
      }
      return copies;
    } catch (SQLException e) {
      throw failure("listing copies", e);
    }
  }

  private static VigilException failure(String action, SQLException error) {
    return SqlErrors.catalogFailure(action, error);
  }
}
