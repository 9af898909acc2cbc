package dev.vigil.activities.retention;

import dev.vigil.activities.common.SqlErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.wal.PhysicalBackup;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.retention.RetentionDecision;
import dev.vigil.workflows.retention.RowArchiveFile;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Retention's side of the catalog (tables of V3__retention.sql): cold copies, the PRUNING → PRUNED
 * transitions, the decision log and row-archive files. Every write is idempotent; the prune
 * transition re-checks the invariant under row locks, so a stale plan cannot delete the last good
 * copy.
 */
public final class RetentionCatalog {
  private static final String COLUMNS =
      "backup_id, source, kind, repository, status, COALESCE(consistent_at, started_at) AS at,"
          + " stored_bytes, sha256, bucket, object_key, manifest_key, storage_class,"
          + " hot_object_key, archived_cold_at";

  private final DataSource dataSource;

  public RetentionCatalog(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Every backup of {@code source} that is not PRUNED, newest first. */
  public List<CatalogBackup> backups(String source) {
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM vigil.backup WHERE source = ? AND status <> 'PRUNED'"
            + " ORDER BY at DESC, backup_id DESC";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, source);
      List<CatalogBackup> backups = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          backups.add(toBackup(rows));
        }
      }
      return backups;
    } catch (SQLException e) {
      throw failure("listing backups of source '" + source + "'", e);
    }
  }

  /**
   * The physical backups of {@code source} that are not PRUNED, with where their WAL starts, newest
   * first: what WAL retention keeps WAL for.
   */
  public List<PhysicalBackup> physicalBackups(String source) {
    String sql =
        "SELECT backup_id, status, start_lsn::text AS start_lsn, timeline,"
            + " COALESCE(consistent_at, started_at) AS at FROM vigil.backup"
            + " WHERE source = ? AND backup_mode = 'physical' AND status <> 'PRUNED'"
            + " ORDER BY COALESCE(consistent_at, started_at) DESC, backup_id DESC";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, source);
      List<PhysicalBackup> backups = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          int timeline = rows.getInt("timeline");
          if (rows.wasNull()) {
            timeline = 0;
          }
          backups.add(
              new PhysicalBackup(
                  rows.getString("backup_id"),
                  rows.getString("status"),
                  rows.getString("start_lsn"),
                  timeline,
                  instant(rows, "at")));
        }
      }
      return backups;
    } catch (SQLException e) {
      throw failure("listing physical backups of source '" + source + "'", e);
    }
  }

  /** One backup, any status. */
  public Optional<CatalogBackup> find(String backupId) {
    String sql = "SELECT " + COLUMNS + " FROM vigil.backup WHERE backup_id = ?";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, backupId);
      try (ResultSet row = query.executeQuery()) {
        return row.next() ? Optional.of(toBackup(row)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw failure("reading backup " + backupId, e);
    }
  }

  /** Logs a run's decisions; a retry of the same run writes nothing twice. */
  public void recordDecisions(String runId, List<RetentionDecision> decisions) {
    String sql =
        "INSERT INTO vigil.retention_decision (run_id, backup_id, source, action, rules, reason)"
            + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, backup_id) DO NOTHING";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement insert = connection.prepareStatement(sql)) {
      for (RetentionDecision decision : decisions) {
        insert.setString(1, runId);
        insert.setString(2, decision.backupId());
        insert.setString(3, decision.source());
        insert.setString(4, decision.action().name());
        insert.setArray(5, connection.createArrayOf("text", decision.rules().toArray()));
        insert.setString(6, decision.reason());
        insert.addBatch();
      }
      insert.executeBatch();
    } catch (SQLException e) {
      throw failure("recording retention decisions of run " + runId, e);
    }
  }

  /** Stamps a logged decision as carried out. */
  public void markDecisionApplied(String runId, String backupId) {
    update(
        "UPDATE vigil.retention_decision SET applied_at = COALESCE(applied_at, clock_timestamp())"
            + " WHERE run_id = ? AND backup_id = ?",
        "recording the outcome of " + backupId,
        runId,
        backupId);
  }

  /**
   * Points the catalog at the verified cold copy. Idempotent; CATALOG_CONFLICT if the backup is no
   * longer ARCHIVED or points at neither key.
   */
  public void recordColdCopy(String backupId, String hotKey, String coldKey, String storageClass) {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement backup =
              connection.prepareStatement(
                  "UPDATE vigil.backup SET object_key = ?, storage_class = ?, hot_object_key = ?,"
                      + " archived_cold_at = COALESCE(archived_cold_at, clock_timestamp())"
                      + " WHERE backup_id = ? AND status = 'ARCHIVED'"
                      + " AND object_key IN (?, ?)");
          PreparedStatement object =
              connection.prepareStatement(
                  "UPDATE vigil.backup_object SET object_key = ?, storage_class = ?"
                      + " WHERE backup_id = ? AND role = 'data'")) {
        backup.setString(1, coldKey);
        backup.setString(2, storageClass);
        backup.setString(3, hotKey);
        backup.setString(4, backupId);
        backup.setString(5, hotKey);
        backup.setString(6, coldKey);
        if (backup.executeUpdate() != 1) {
          connection.rollback();
          throw new VigilException(
              ErrorType.CATALOG_CONFLICT,
              "catalog: backup "
                  + backupId
                  + " is not ARCHIVED at "
                  + hotKey
                  + " any more; run retention again to plan from the current catalog");
        }
        object.setString(1, coldKey);
        object.setString(2, storageClass);
        object.setString(3, backupId);
        object.executeUpdate();
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw failure("recording the cold copy of " + backupId, e);
    }
  }

  /**
   * ARCHIVED → PRUNING after re-checking, under locks on the source's verified rows, that the
   * backup is not the newest verified one and that a newer verified one exists. PRUNING or PRUNED
   * already: nothing to do.
   */
  public void beginPrune(String backupId, String reason) {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        CatalogBackup backup =
            find(connection, backupId)
                .orElseThrow(
                    () ->
                        new VigilException(
                            ErrorType.BACKUP_NOT_FOUND,
                            "catalog: no backup " + backupId + "; nothing to prune"));
        if (backup.status().equals("PRUNING") || backup.status().equals("PRUNED")) {
          connection.rollback();
          return;
        }
        if (!backup.status().equals("ARCHIVED")) {
          throw new VigilException(
              ErrorType.CATALOG_CONFLICT,
              "catalog: backup "
                  + backupId
                  + " is "
                  + backup.status()
                  + "; only ARCHIVED ones are"
                  + " pruned");
        }
        long newer;
        try (PreparedStatement lock =
            connection.prepareStatement(
                "SELECT backup_id, COALESCE(consistent_at, started_at) AS at FROM vigil.backup"
                    + " WHERE source = ? AND status = 'ARCHIVED' FOR UPDATE")) {
          lock.setString(1, backup.source());
          newer = 0;
          try (ResultSet rows = lock.executeQuery()) {
            while (rows.next()) {
              Instant at = instant(rows, "at");
              String id = rows.getString("backup_id");
              int order = at.compareTo(backup.at());
              if (order > 0 || (order == 0 && id.compareTo(backupId) > 0)) {
                newer++;
              }
            }
          }
        }
        if (newer == 0) {
          throw new VigilException(
              ErrorType.CATALOG_CONFLICT,
              "catalog: backup "
                  + backupId
                  + " is the newest verified backup of source '"
                  + backup.source()
                  + "'; it is never pruned");
        }
        try (PreparedStatement update =
            connection.prepareStatement(
                "UPDATE vigil.backup SET status = 'PRUNING', prune_reason = ?"
                    + " WHERE backup_id = ? AND status = 'ARCHIVED'")) {
          update.setString(1, reason);
          update.setString(2, backupId);
          update.executeUpdate();
        }
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw failure("starting the prune of " + backupId, e);
    }
  }

  /**
   * PRUNING → PRUNED, after its objects are gone, and its manifest entries dropped (the files or
   * tables it no longer holds; the row stays as history). PRUNED again is fine.
   */
  public void markPruned(String backupId) {
    String sql =
        "UPDATE vigil.backup SET status = 'PRUNED', pruned_at = COALESCE(pruned_at,"
            + " clock_timestamp()) WHERE backup_id = ? AND status IN ('PRUNING', 'PRUNED')";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement update = connection.prepareStatement(sql);
        PreparedStatement entries =
            connection.prepareStatement("DELETE FROM vigil.backup_entry WHERE backup_id = ?")) {
      update.setString(1, backupId);
      if (update.executeUpdate() != 1) {
        throw new VigilException(
            ErrorType.CATALOG_CONFLICT,
            "catalog: backup " + backupId + " is not being pruned; it stays as it is");
      }
      // After the move: a retry after a crash in between finds it PRUNED and deletes them then.
      entries.setString(1, backupId);
      entries.executeUpdate();
    } catch (SQLException e) {
      throw failure("marking " + backupId + " PRUNED", e);
    }
  }

  /** Records a row-archive file as written and verified. Idempotent. */
  public void recordRowArchive(RowArchiveFile file) {
    String sql =
        "INSERT INTO vigil.row_archive (object_key, source, table_name, month, bucket, row_count,"
            + " stored_bytes, sha256, verified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
            + " clock_timestamp()) ON CONFLICT (object_key) DO UPDATE SET"
            + " verified_at = COALESCE(vigil.row_archive.verified_at, EXCLUDED.verified_at)";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement insert = connection.prepareStatement(sql)) {
      insert.setString(1, file.objectKey());
      insert.setString(2, file.month().source());
      insert.setString(3, file.month().table());
      insert.setString(4, file.month().month());
      insert.setString(5, file.bucket());
      insert.setLong(6, file.rows());
      insert.setLong(7, file.storedBytes());
      insert.setString(8, file.sha256());
      insert.executeUpdate();
    } catch (SQLException e) {
      throw failure("recording row archive " + file.objectKey(), e);
    }
  }

  /** Whether a row-archive file was verified (and so its rows may be marked). */
  public boolean rowArchiveVerified(String objectKey, String sha256) {
    String sql =
        "SELECT 1 FROM vigil.row_archive WHERE object_key = ? AND sha256 = ?"
            + " AND verified_at IS NOT NULL";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, objectKey);
      query.setString(2, sha256);
      try (ResultSet row = query.executeQuery()) {
        return row.next();
      }
    } catch (SQLException e) {
      throw failure("reading row archive " + objectKey, e);
    }
  }

  /** Stamps a row-archive file whose rows are all marked. */
  public void markRowArchiveMarked(String objectKey) {
    update(
        "UPDATE vigil.row_archive SET marked_at = COALESCE(marked_at, clock_timestamp())"
            + " WHERE object_key = ?",
        "recording row archive " + objectKey,
        objectKey);
  }

  private void update(String sql, String action, String... values) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement update = connection.prepareStatement(sql)) {
      for (int index = 0; index < values.length; index++) {
        update.setString(index + 1, values[index]);
      }
      update.executeUpdate();
    } catch (SQLException e) {
      throw failure(action, e);
    }
  }

  private static Optional<CatalogBackup> find(Connection connection, String backupId)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT " + COLUMNS + " FROM vigil.backup WHERE backup_id = ? FOR UPDATE")) {
      query.setString(1, backupId);
      try (ResultSet row = query.executeQuery()) {
        return row.next() ? Optional.of(toBackup(row)) : Optional.empty();
      }
    }
  }

  private static CatalogBackup toBackup(ResultSet row) throws SQLException {
    return new CatalogBackup(
        row.getString("backup_id"),
        row.getString("source"),
        row.getString("kind"),
        row.getString("repository"),
        row.getString("status"),
        instant(row, "at"),
        row.getLong("stored_bytes"),
        row.getString("sha256"),
        row.getString("bucket"),
        row.getString("object_key"),
        row.getString("manifest_key"),
        row.getString("storage_class"),
        row.getString("hot_object_key"),
        instant(row, "archived_cold_at"));
  }

  private static Instant instant(ResultSet row, String column) throws SQLException {
    OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  private static VigilException failure(String action, SQLException error) {
    return SqlErrors.catalogFailure(action, error);
  }
}
