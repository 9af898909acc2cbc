package dev.vigil.activities.copy;

import dev.vigil.activities.common.SqlErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.retention.RetainedBackup;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.copy.CopiedItem;
import dev.vigil.workflows.copy.CopyTask;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The copies side of the catalog ({@code vigil.backup_copy}, migration V7): what is owed, what was
 * written and verified, what retention pruned. Every write is an upsert or a guarded update, so a
 * retry is harmless.
 */
public final class CopyCatalog {
  /** A copy in one repository, as the catalog records it. */
  public record StoredCopy(
      String itemKind,
      String itemId,
      String repository,
      String source,
      String state,
      String bucket,
      String objectKey,
      long sizeBytes,
      String sha256,
      String manifestKey,
      String failureReason) {}

  private final DataSource dataSource;

  public CopyCatalog(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * The ARCHIVED backups of {@code source} (not in a cold class: those cannot be read without a
   * restore request) that have no VERIFIED copy in {@code repository}, oldest first; copies that
   * retention pruned (or is pruning) are not owed again.
   */
  public List<CopyTask> pendingBackups(String source, String primary, String repository) {
    String sql =
        "SELECT b.backup_id, b.object_key, b.manifest_key, b.stored_bytes, b.sha256"
            + " FROM vigil.backup b WHERE b.source = ? AND b.status = 'ARCHIVED'"
            + " AND b.archived_cold_at IS NULL AND b.object_key IS NOT NULL"
            + " AND NOT EXISTS (SELECT 1 FROM vigil.backup_copy c WHERE c.item_kind = 'backup'"
            + " AND c.item_id = b.backup_id AND c.repository = ?"
            + " AND c.state IN ('VERIFIED', 'PRUNING', 'PRUNED'))"
            + " ORDER BY b.consistent_at NULLS FIRST, b.backup_id";
    return query(
        sql,
        "listing the copies owed by " + source,
        row ->
            new CopyTask(
                CopyTask.BACKUP,
                row.getString(1),
                source,
                primary,
                repository,
                row.getString(2),
                row.getString(3),
                row.getLong(4),
                row.getString(5)),
        source,
        repository);
  }

  /**
   * The backup sets an ARCHIVED backup of {@code source} belongs to whose manifest has no VERIFIED
   * copy in {@code repository}, oldest first.
   */
  public List<String> pendingSets(String source, String repository) {
    String sql =
        "SELECT DISTINCT s.set_id, s.started_at FROM vigil.backup_set s"
            + " JOIN vigil.backup b ON b.set_id = s.set_id"
            + " WHERE b.source = ? AND b.status = 'ARCHIVED' AND s.manifest_key IS NOT NULL"
            + " AND NOT EXISTS (SELECT 1 FROM vigil.backup_copy c WHERE c.item_kind = 'set'"
            + " AND c.item_id = s.set_id AND c.repository = ? AND c.state = 'VERIFIED')"
            + " ORDER BY s.started_at, s.set_id";
    return query(
        sql,
        "listing the set manifests owed by " + source,
        row -> row.getString(1),
        source,
        repository);
  }

  /** Records the copy as written (COPIED), replacing what an earlier attempt recorded. */
  public void recordCopied(CopiedItem copied, String bucket) {
    CopyTask task = copied.task();
    String sql =
        "INSERT INTO vigil.backup_copy (item_kind, item_id, repository, source, state, bucket,"
            + " object_key, size_bytes, sha256, manifest_key, manifest_bytes, manifest_sha256,"
            + " copied_at) VALUES (?, ?, ?, ?, 'COPIED', ?, ?, ?, ?, ?, ?, ?, clock_timestamp())"
            + " ON CONFLICT (item_kind, item_id, repository) DO UPDATE SET state = 'COPIED',"
            + " bucket = EXCLUDED.bucket, object_key = EXCLUDED.object_key,"
            + " size_bytes = EXCLUDED.size_bytes, sha256 = EXCLUDED.sha256,"
            + " manifest_key = EXCLUDED.manifest_key, manifest_bytes = EXCLUDED.manifest_bytes,"
            + " manifest_sha256 = EXCLUDED.manifest_sha256, copied_at = EXCLUDED.copied_at,"
            + " verified_at = NULL, failure_reason = NULL"
            + " WHERE vigil.backup_copy.state NOT IN ('PRUNING', 'PRUNED')";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement insert = connection.prepareStatement(sql)) {
      insert.setString(1, task.itemKind());
      insert.setString(2, task.itemId());
      insert.setString(3, task.toRepository());
      insert.setString(4, task.source());
      insert.setString(5, bucket);
      insert.setString(6, task.objectKey());
      insert.setLong(7, copied.bytes());
      insert.setString(8, copied.sha256());
      insert.setString(9, task.manifestKey());
      if (copied.manifestBytes() < 0) {
        insert.setNull(10, Types.BIGINT);
      } else {
        insert.setLong(10, copied.manifestBytes());
      }
      insert.setString(11, copied.manifestSha256());
      insert.executeUpdate();
    } catch (SQLException e) {
      throw failure("recording the copy of " + task.describe(), e);
    }
  }

  /** COPIED → VERIFIED; VERIFIED again is a no-op. */
  public void markVerified(CopyTask task) {
    update(
        "UPDATE vigil.backup_copy SET state = 'VERIFIED',"
            + " verified_at = COALESCE(verified_at, clock_timestamp()), failure_reason = NULL"
            + " WHERE item_kind = ? AND item_id = ? AND repository = ?"
            + " AND state IN ('COPIED', 'VERIFIED')",
        "recording the copy of " + task.describe() + " verified",
        task.itemKind(),
        task.itemId(),
        task.toRepository());
  }

  /** COPIED (or VERIFIED, found wrong on a re-read) → FAILED with the reason. */
  public void markFailed(CopyTask task, String reason) {
    update(
        "UPDATE vigil.backup_copy SET state = 'FAILED', verified_at = NULL, failure_reason = ?"
            + " WHERE item_kind = ? AND item_id = ? AND repository = ?"
            + " AND state IN ('COPIED', 'VERIFIED', 'FAILED')",
        "recording the copy of " + task.describe() + " failed",
        reason,
        task.itemKind(),
        task.itemId(),
        task.toRepository());
  }

  /** Every copy of one backup or set, in repository order. */
  public List<StoredCopy> copiesOf(String itemKind, String itemId) {
    return query(
        "SELECT item_kind, item_id, repository, source, state, bucket, object_key, size_bytes,"
            + " sha256, manifest_key, failure_reason FROM vigil.backup_copy"
            + " WHERE item_kind = ? AND item_id = ? ORDER BY repository",
        "reading the copies of " + itemKind + " " + itemId,
        row ->
            new StoredCopy(
                row.getString(1),
                row.getString(2),
                row.getString(3),
                row.getString(4),
                row.getString(5),
                row.getString(6),
                row.getString(7),
                row.getLong(8),
                row.getString(9),
                row.getString(10),
                row.getString(11)),
        itemKind,
        itemId);
  }

  /** The VERIFIED copy of a backup in {@code repository}, if there is one. */
  public Optional<StoredCopy> verifiedCopy(String backupId, String repository) {
    return copiesOf(CopyTask.BACKUP, backupId).stream()
        .filter(copy -> copy.repository().equals(repository))
        .filter(copy -> "VERIFIED".equals(copy.state()))
        .findFirst();
  }

  /**
   * The copies of {@code source}'s backups in {@code repository} that retention weighs: VERIFIED
   * ones (verified) and PRUNING ones (a prune to finish), dated by their backup's consistent point.
   */
  public List<RetainedBackup> retainedCopies(String source, String repository) {
    String sql =
        "SELECT c.item_id, c.state, COALESCE(b.consistent_at, b.started_at), c.size_bytes"
            + " FROM vigil.backup_copy c JOIN vigil.backup b ON b.backup_id = c.item_id"
            + " WHERE c.item_kind = 'backup' AND c.source = ? AND c.repository = ?"
            + " AND c.state IN ('VERIFIED', 'PRUNING')";
    return query(
        sql,
        "listing the copies of " + source + " in " + repository,
        row -> {
          boolean verified = "VERIFIED".equals(row.getString(2));
          return new RetainedBackup(
              row.getString(1),
              source,
              verified ? "ARCHIVED" : row.getString(2),
              row.getTimestamp(3).toInstant(),
              verified,
              null,
              false,
              row.getLong(4));
        },
        source,
        repository);
  }

  /**
   * VERIFIED → PRUNING, only while a newer VERIFIED copy of the source stays in the same repository
   * (checked in the same statement, as the catalog is now); PRUNING again is a no-op.
   * CATALOG_CONFLICT otherwise.
   */
  public void beginPrune(String backupId, String repository) {
    String sql =
        "UPDATE vigil.backup_copy c SET state = 'PRUNING' FROM vigil.backup b"
            + " WHERE c.item_kind = 'backup' AND c.item_id = ? AND c.repository = ?"
            + " AND b.backup_id = c.item_id AND (c.state = 'PRUNING' OR (c.state = 'VERIFIED'"
            + " AND EXISTS (SELECT 1 FROM vigil.backup_copy n JOIN vigil.backup nb"
            + " ON nb.backup_id = n.item_id WHERE n.item_kind = 'backup'"
            + " AND n.repository = c.repository AND n.source = c.source"
            + " AND n.state = 'VERIFIED' AND n.item_id <> c.item_id"
            + " AND COALESCE(nb.consistent_at, nb.started_at)"
            + " > COALESCE(b.consistent_at, b.started_at))))";
    int changed =
        update(sql, "pruning the copy of " + backupId + " in " + repository, backupId, repository);
    if (changed == 0) {
      throw new VigilException(
          ErrorType.CATALOG_CONFLICT,
          "the copy of backup '"
              + backupId
              + "' in repository '"
              + repository
              + "' was not pruned: it is not VERIFIED, or no newer verified copy of its source is"
              + " in that repository");
    }
  }

  /** PRUNING → PRUNED. */
  public void markPruned(String backupId, String repository) {
    update(
        "UPDATE vigil.backup_copy SET state = 'PRUNED',"
            + " pruned_at = COALESCE(pruned_at, clock_timestamp())"
            + " WHERE item_kind = 'backup' AND item_id = ? AND repository = ?"
            + " AND state IN ('PRUNING', 'PRUNED')",
        "recording the copy of " + backupId + " in " + repository + " pruned",
        backupId,
        repository);
  }

  /** Runs a query and maps each row; CATALOG_UNAVAILABLE naming {@code what} on failure. */
  private <T> List<T> query(String sql, String what, RowMapper<T> mapper, Object... parameters) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        query.setObject(i + 1, parameters[i]);
      }
      List<T> rows = new ArrayList<>();
      try (ResultSet row = query.executeQuery()) {
        while (row.next()) {
          rows.add(mapper.map(row));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw failure(what, e);
    }
  }

  /** One row to one value. */
  @FunctionalInterface
  private interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;
  }

  private int update(String sql, String what, Object... parameters) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement update = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        update.setObject(i + 1, parameters[i]);
      }
      return update.executeUpdate();
    } catch (SQLException e) {
      throw failure(what, e);
    }
  }

  private static VigilException failure(String what, SQLException e) {
    return SqlErrors.catalogFailure(what, e);
  }
}
