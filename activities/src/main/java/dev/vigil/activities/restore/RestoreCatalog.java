package dev.vigil.activities.restore;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.SqlErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.wal.WalSegment;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.RecoveryTarget;
import dev.vigil.workflows.restore.RestoreRecord;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.SelectedBackup;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The restore side of the catalog: finds the backup to restore in {@code vigil.backup} and records
 * every restore in {@code vigil.restore} (migration V2). Writes are upserts, so a retry is
 * harmless.
 */
public final class RestoreCatalog {
  private static final String COLUMNS =
      "backup_id, set_id, source, source_type, kind, repository, status, consistent_at,"
          + " raw_bytes, stored_bytes, sha256, key_id, bucket, object_key, manifest_key, format,"
          + " start_lsn::text, stop_lsn::text, timeline";

  private final DataSource dataSource;

  public RestoreCatalog(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * The archived backup {@code selector} names: by id, else the newest of its source consistent at
   * or before {@code atMillis} (0: the newest of all). BACKUP_NOT_FOUND says what exists instead.
   */
  public SelectedBackup select(RestoreSelector selector) {
    if (selector.backupId() != null && !selector.backupId().isBlank()) {
      return byId(selector.backupId(), selector.source());
    }
    if (selector.source() == null || selector.source().isBlank()) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG, "a restore names a source or a backup id; it named neither");
    }
    String source = selector.source();
    RecoveryTarget recovery = selector.recovery();
    if (recovery != null && RecoveryTarget.LSN.equals(recovery.kind())) {
      return byStopLsn(source, recovery.lsn());
    }
    Optional<Row> chosen =
        selector.atMillis() > 0
            ? first(
                "SELECT "
                    + COLUMNS
                    + " FROM vigil.backup WHERE source = ? AND status = 'ARCHIVED'"
                    + " AND consistent_at <= ? ORDER BY consistent_at DESC LIMIT 1",
                source,
                new Timestamp(selector.atMillis()))
            : first(
                "SELECT "
                    + COLUMNS
                    + " FROM vigil.backup WHERE source = ? AND status = 'ARCHIVED'"
                    + " ORDER BY consistent_at DESC LIMIT 1",
                source);
    if (chosen.isPresent()) {
      return chosen.get().selected();
    }
    Optional<Row> oldest =
        first(
            "SELECT "
                + COLUMNS
                + " FROM vigil.backup WHERE source = ? AND status = 'ARCHIVED'"
                + " ORDER BY consistent_at ASC LIMIT 1",
            source);
    if (oldest.isEmpty()) {
      throw new VigilException(
          ErrorType.BACKUP_NOT_FOUND,
          "source '"
              + source
              + "' has no ARCHIVED backup in the catalog; check the source name or run a backup"
              + " first");
    }
    throw new VigilException(
        ErrorType.BACKUP_NOT_FOUND,
        "source '"
            + source
            + "' has no ARCHIVED backup consistent at or before "
            + Instant.ofEpochMilli(selector.atMillis())
            + "; its first is '"
            + oldest.get().backupId
            + "', consistent at "
            + oldest.get().consistentAt
            + "; pick a later --at");
  }

  /**
   * The newest archived base backup of {@code source} that ends at or before {@code lsn}:
   * INVALID_CONFIG for a source without base backups (an LSN means nothing to a dump),
   * BACKUP_NOT_FOUND naming the oldest one when all end after it.
   */
  private SelectedBackup byStopLsn(String source, String lsn) {
    String valid = WalSegment.lsnText(WalSegment.lsn(lsn));
    Optional<Row> chosen =
        first(
            "SELECT "
                + COLUMNS
                + " FROM vigil.backup WHERE source = ? AND status = 'ARCHIVED'"
                + " AND stop_lsn IS NOT NULL AND stop_lsn <= ?::pg_lsn"
                + " ORDER BY stop_lsn DESC LIMIT 1",
            source,
            valid);
    if (chosen.isPresent()) {
      return chosen.get().selected();
    }
    Optional<Row> oldest =
        first(
            "SELECT "
                + COLUMNS
                + " FROM vigil.backup WHERE source = ? AND status = 'ARCHIVED'"
                + " AND stop_lsn IS NOT NULL ORDER BY stop_lsn ASC LIMIT 1",
            source);
    if (oldest.isEmpty()) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "source '"
              + source
              + "' has no ARCHIVED physical base backup; --lsn applies only to a postgres source"
              + " with mode: physical (use --at for a logical one)");
    }
    throw new VigilException(
        ErrorType.BACKUP_NOT_FOUND,
        "source '"
            + source
            + "' has no ARCHIVED base backup ending at or before LSN "
            + valid
            + "; its oldest is '"
            + oldest.get().backupId
            + "', ending at LSN "
            + oldest.get().stopLsn
            + "; pick a later --lsn");
  }

  /**
   * The backup {@code selector} names among those with a VERIFIED copy in {@code repository} (a
   * copy repository, not the source's own), read from there: by id, else the newest of its source
   * consistent at or before {@code atMillis}. The backup's primary may be pruned meanwhile; the
   * copy stands on its own. BACKUP_NOT_FOUND when there is no such copy.
   */
  public SelectedBackup selectCopy(RestoreSelector selector, String repository) {
    String verified =
        " backup_id IN (SELECT item_id FROM vigil.backup_copy WHERE item_kind = 'backup'"
            + " AND repository = ? AND state = 'VERIFIED')";
    Optional<Row> chosen;
    if (selector.backupId() != null && !selector.backupId().isBlank()) {
      chosen =
          first(
              "SELECT " + COLUMNS + " FROM vigil.backup WHERE backup_id = ? AND" + verified,
              selector.backupId(),
              repository);
      if (chosen.isEmpty()) {
        throw new VigilException(
            ErrorType.BACKUP_NOT_FOUND,
            "backup '"
                + selector.backupId()
                + "' has no verified copy in repository '"
                + repository
                + "'; run a backup of its source to copy it, or leave out --repository");
      }
    } else if (selector.source() == null || selector.source().isBlank()) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG, "a restore names a source or a backup id; it named neither");
    } else if (selector.recovery() != null
        && RecoveryTarget.LSN.equals(selector.recovery().kind())) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "--lsn needs archived WAL, which copies do not hold; leave out --repository");
    } else {
      chosen =
          selector.atMillis() > 0
              ? first(
                  "SELECT "
                      + COLUMNS
                      + " FROM vigil.backup WHERE source = ? AND consistent_at <= ? AND"
                      + verified
                      + " ORDER BY consistent_at DESC LIMIT 1",
                  selector.source(),
                  new Timestamp(selector.atMillis()),
                  repository)
              : first(
                  "SELECT "
                      + COLUMNS
                      + " FROM vigil.backup WHERE source = ? AND"
                      + verified
                      + " ORDER BY consistent_at DESC LIMIT 1",
                  selector.source(),
                  repository);
      if (chosen.isEmpty()) {
        throw new VigilException(
            ErrorType.BACKUP_NOT_FOUND,
            "source '"
                + selector.source()
                + "' has no verified copy in repository '"
                + repository
                + "'"
                + (selector.atMillis() > 0
                    ? " consistent at or before " + Instant.ofEpochMilli(selector.atMillis())
                    : "")
                + "; check copies: of the source, or leave out --repository");
      }
    }
    Row row = chosen.get();
    if (selector.source() != null
        && !selector.source().isBlank()
        && !selector.source().equals(row.source)) {
      throw new VigilException(
          ErrorType.BACKUP_NOT_FOUND,
          "backup '"
              + row.backupId
              + "' is of source '"
              + row.source
              + "', not '"
              + selector.source()
              + "'");
    }
    return row.selected().readFrom(repository, copyBucket(row.backupId, repository), null);
  }

  private String copyBucket(String backupId, String repository) {
    String sql =
        "SELECT bucket FROM vigil.backup_copy WHERE item_kind = 'backup' AND item_id = ?"
            + " AND repository = ?";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, backupId);
      query.setString(2, repository);
      try (ResultSet row = query.executeQuery()) {
        return row.next() ? row.getString(1) : null;
      }
    } catch (SQLException e) {
      throw failure("looking up the copy of " + backupId, e);
    }
  }

  /** The archived backups of a backup set (one per source), in source order. */
  public List<SelectedBackup> backupsOfSet(String setId) {
    List<SelectedBackup> backups = new ArrayList<>();
    for (Row row :
        all(
            "SELECT "
                + COLUMNS
                + " FROM vigil.backup WHERE set_id = ? AND status = 'ARCHIVED' ORDER BY source",
            setId)) {
      backups.add(row.selected());
    }
    if (backups.isEmpty()) {
      throw new VigilException(
          ErrorType.BACKUP_NOT_FOUND,
          "backup set '" + setId + "' has no ARCHIVED backup in the catalog; check the set id");
    }
    return backups;
  }

  /** Inserts or replaces the restore's row. */
  public void record(RestoreRecord record) {
    String sql =
        "INSERT INTO vigil.restore (restore_id, run_id, backup_id, source, target_type, target,"
            + " status, started_at, finished_at, duration_millis, steps, validation_passed,"
            + " validation, failure_type, failure_reason, requested_by)"
            + " VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?, ?, ?)"
            + " ON CONFLICT (restore_id) DO UPDATE SET run_id = EXCLUDED.run_id,"
            + " backup_id = EXCLUDED.backup_id, source = EXCLUDED.source,"
            + " target_type = EXCLUDED.target_type, target = EXCLUDED.target,"
            + " status = EXCLUDED.status, started_at = EXCLUDED.started_at,"
            + " finished_at = EXCLUDED.finished_at, duration_millis = EXCLUDED.duration_millis,"
            + " steps = EXCLUDED.steps, validation_passed = EXCLUDED.validation_passed,"
            + " validation = EXCLUDED.validation, failure_type = EXCLUDED.failure_type,"
            + " failure_reason = EXCLUDED.failure_reason, requested_by = EXCLUDED.requested_by";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement insert = connection.prepareStatement(sql)) {
      insert.setString(1, record.restoreId());
      insert.setString(2, record.runId());
      insert.setString(3, record.backupId());
      insert.setString(4, record.source());
      insert.setString(5, record.target() == null ? "unknown" : record.target().type());
      insert.setString(6, json(record.target()));
      insert.setString(7, record.status());
      insert.setTimestamp(8, new Timestamp(record.startedAtMillis()));
      insert.setTimestamp(9, new Timestamp(record.finishedAtMillis()));
      insert.setLong(10, record.finishedAtMillis() - record.startedAtMillis());
      insert.setString(11, json(record.steps() == null ? List.of() : record.steps()));
      if (record.validation() == null) {
        insert.setNull(12, java.sql.Types.BOOLEAN);
        insert.setNull(13, java.sql.Types.OTHER);
      } else {
        insert.setBoolean(12, record.validation().passed());
        insert.setString(13, json(record.validation()));
      }
      insert.setString(14, record.failureType());
      insert.setString(15, record.failure());
      insert.setString(16, record.requestedBy());
      insert.executeUpdate();
    } catch (SQLException e) {
      throw failure("recording restore " + record.restoreId(), e);
    }
  }

  /** A recorded restore, for reports and tests. */
  public Optional<StoredRestore> find(String restoreId) {
    String sql =
        "SELECT restore_id, backup_id, source, target_type, target::text, status,"
            + " validation_passed, failure_type, failure_reason, requested_by, duration_millis"
            + " FROM vigil.restore WHERE restore_id = ?";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, restoreId);
      try (ResultSet row = query.executeQuery()) {
        if (!row.next()) {
          return Optional.empty();
        }
        Object passed = row.getObject(7);
        return Optional.of(
            new StoredRestore(
                row.getString(1),
                row.getString(2),
                row.getString(3),
                row.getString(4),
                row.getString(5),
                row.getString(6),
                passed == null ? null : (Boolean) passed,
                row.getString(8),
                row.getString(9),
                row.getString(10),
                row.getLong(11)));
      }
    } catch (SQLException e) {
      throw failure("reading restore " + restoreId, e);
    }
  }

  private SelectedBackup byId(String backupId, String source) {
    Row row =
        first("SELECT " + COLUMNS + " FROM vigil.backup WHERE backup_id = ?", backupId)
            .orElseThrow(
                () ->
                    new VigilException(
                        ErrorType.BACKUP_NOT_FOUND,
                        "no backup with id '"
                            + backupId
                            + "' in the catalog; ids look like <source>-<yyyyMMddTHHmmssZ>"));
    if (!"ARCHIVED".equals(row.status)) {
      throw new VigilException(
          ErrorType.BACKUP_NOT_FOUND,
          "backup '"
              + backupId
              + "' is "
              + row.status
              + ", not ARCHIVED; only archived backups can be restored");
    }
    if (source != null && !source.isBlank() && !source.equals(row.source)) {
      throw new VigilException(
          ErrorType.BACKUP_NOT_FOUND,
          "backup '" + backupId + "' is of source '" + row.source + "', not '" + source + "'");
    }
    return row.selected();
  }

  private Optional<Row> first(String sql, Object... parameters) {
    List<Row> rows = all(sql, parameters);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  private List<Row> all(String sql, Object... parameters) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        query.setObject(i + 1, parameters[i]);
      }
      List<Row> rows = new ArrayList<>();
      try (ResultSet row = query.executeQuery()) {
        while (row.next()) {
          Timestamp consistentAt = row.getTimestamp(8);
          rows.add(
              new Row(
                  row.getString(1),
                  row.getString(2),
                  row.getString(3),
                  row.getString(4),
                  row.getString(5),
                  row.getString(6),
                  row.getString(7),
                  consistentAt == null ? null : consistentAt.toInstant(),
                  row.getLong(9),
                  row.getLong(10),
                  row.getString(11),
                  row.getString(12),
                  row.getString(13),
                  row.getString(14),
                  row.getString(15),
                  row.getString(16),
                  row.getString(17),
                  row.getString(18),
                  row.getInt(19)));
        }
      }
      return rows;
    } catch (SQLException e) {
      throw failure("looking up backups", e);
    }
  }

  private static String json(Object value) {
    try {
      return Json.MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + value, e);
    }
  }

  private static VigilException failure(String what, SQLException e) {
    return SqlErrors.catalogFailure(what, e);
  }

  /** One row of {@code vigil.restore}, as stored. */
  public record StoredRestore(
      String restoreId,
      String backupId,
      String source,
      String targetType,
      String targetJson,
      String status,
      Boolean validationPassed,
      String failureType,
      String failureReason,
      String requestedBy,
      long durationMillis) {}

  private record Row(
      String backupId,
      String setId,
      String source,
      String sourceType,
      String kind,
      String repository,
      String status,
      Instant consistentAt,
      long rawBytes,
      long storedBytes,
      String sha256,
      String keyId,
      String bucket,
      String objectKey,
      String manifestKey,
      String format,
      String startLsn,
      String stopLsn,
      int timeline) {
    SelectedBackup selected() {
      return new SelectedBackup(
          backupId,
          setId,
          new SourceRef(source, sourceType, kind, repository),
          bucket,
          objectKey,
          manifestKey,
          sha256,
          storedBytes,
          rawBytes,
          consistentAt == null ? 0 : consistentAt.toEpochMilli(),
          keyId,
          format,
          startLsn,
          stopLsn,
          timeline);
    }
  }
}
