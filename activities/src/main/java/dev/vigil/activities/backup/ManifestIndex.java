package dev.vigil.activities.backup;

import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.SqlErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.restore.BackupManifest;
import dev.vigil.activities.source.FileEntry;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import javax.sql.DataSource;

/**
 * A backup's manifest in the catalog (table {@code vigil.backup_entry} and column {@code
 * vigil.backup.steps}, migration V11): the files or tables it holds and the steps its workflow ran,
 * so the API pages through them without reading the manifest object from the repository.
 */
public final class ManifestIndex {
  /** Rows sent to the catalog per round trip. */
  private static final int BATCH = 1000;

  private final DataSource dataSource;

  public ManifestIndex(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Replaces the recorded entries of {@code backupId} with those of its manifest: its files (a
   * directory backup, {@code listsFiles}) or its tables with row counts (a database dump); nothing
   * for a manifest that lists neither. One transaction, so a retried upload leaves one complete
   * list.
   */
  public void recordEntries(String backupId, BackupManifest manifest, boolean listsFiles) {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        replaceEntries(connection, backupId, manifest, listsFiles);
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw SqlErrors.catalogFailure("recording the manifest entries of backup " + backupId, e);
    }
  }

  /**
   * As {@link #recordEntries}, in the caller's transaction on {@code connection} (a catalog rebuild
   * writes a backup's row and its entries together).
   */
  public static void replaceEntries(
      Connection connection, String backupId, BackupManifest manifest, boolean listsFiles)
      throws SQLException {
    try (PreparedStatement delete =
            connection.prepareStatement("DELETE FROM vigil.backup_entry WHERE backup_id = ?");
        PreparedStatement insert =
            connection.prepareStatement(
                "INSERT INTO vigil.backup_entry"
                    + " (backup_id, name, entry_type, size_bytes, row_count, sha256)"
                    + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
      delete.setString(1, backupId);
      delete.executeUpdate();
      Batch batch = new Batch(insert, backupId);
      if (listsFiles) {
        try (BackupManifest.FileList files = manifest.files()) {
          while (files.hasNext()) {
            FileEntry file = files.next();
            batch.add(file.path(), file.type(), file.size(), null, file.sha256());
          }
        } catch (IOException | UncheckedIOException e) {
          throw new VigilException(
              ErrorType.SPOOL_MISSING,
              "cannot read the file list of backup " + backupId + ": " + e.getMessage(),
              e);
        }
      } else {
        for (BackupManifest.TableCount table : manifest.tables()) {
          batch.add(table.name(), "table", null, table.rows(), null);
        }
      }
      batch.flush();
    }
  }

  /**
   * Records the step timings of the backups a set ran on their rows: only backups of {@code setId}
   * (a duplicate's or another set's backup keeps its own), and only those with timings.
   */
  public void recordSteps(String setId, List<SourceBackupResult> results) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement update =
            connection.prepareStatement(
                "UPDATE vigil.backup SET steps = ?::jsonb WHERE backup_id = ? AND set_id = ?")) {
      for (SourceBackupResult result : results) {
        if (result.steps() == null || result.steps().isEmpty()) {
          continue;
        }
        update.setString(1, Json.MAPPER.writeValueAsString(result.steps()));
        update.setString(2, result.backupId());
        update.setString(3, setId);
        update.addBatch();
      }
      update.executeBatch();
    } catch (SQLException e) {
      throw SqlErrors.catalogFailure("recording the step timings of backup set " + setId, e);
    } catch (IOException e) {
      throw new IllegalStateException("step timings of backup set " + setId + " as JSON", e);
    }
  }

  /** Rows sent {@link #BATCH} at a time. */
  private static final class Batch {
    private final PreparedStatement insert;
    private final String backupId;
    private int pending;

    Batch(PreparedStatement insert, String backupId) {
      this.insert = insert;
      this.backupId = backupId;
    }

    void add(String name, String type, Long size, Long rows, String sha256) throws SQLException {
      insert.setString(1, backupId);
      insert.setString(2, name);
      insert.setString(3, type);
      setLong(4, size);
      setLong(5, rows);
      insert.setString(6, sha256);
      insert.addBatch();
      if (++pending == BATCH) {
        flush();
      }
    }

    void flush() throws SQLException {
      if (pending > 0) {
        insert.executeBatch();
        pending = 0;
      }
    }

    private void setLong(int index, Long value) throws SQLException {
      if (value == null) {
        insert.setNull(index, Types.BIGINT);
      } else {
        insert.setLong(index, value);
      }
    }
  }
}
