package dev.vigil.activities.catalog;

import dev.vigil.activities.common.SqlErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.CatalogConfig;
import dev.vigil.activities.source.PhysicalDump;
import dev.vigil.workflows.backup.ArchiveRequest;
import dev.vigil.workflows.backup.BackupSetRequest;
import dev.vigil.workflows.backup.BackupStart;
import dev.vigil.workflows.backup.DumpResult;
import dev.vigil.workflows.backup.FailRequest;
import dev.vigil.workflows.backup.SealResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.backup.UploadResult;
import dev.vigil.workflows.backup.UploadVerification;
import dev.vigil.workflows.common.ErrorType;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The catalog in PostgreSQL (schema {@code vigil}), over plain JDBC. Every write is one transaction
 * and safe to repeat: an activity retry after a lost reply changes nothing.
 *
 * <p>Connections come from the given {@link DataSource}; the catalog is written a few times per
 * backup, so the unpooled {@link PGSimpleDataSource} of {@link #create} is enough.
 */
public final class PostgresCatalog implements Catalog {
  private static final String SCHEMA = "vigil";
  private static final int CONNECT_TIMEOUT_SECONDS = 10;
  // Catalog statements are tiny; one that hangs this long means the server is gone.
  private static final int SOCKET_TIMEOUT_SECONDS = 60;

  private static final String COLUMNS =
      "backup_id, set_id, source, source_type, kind, repository, status, started_at, finished_at,"
          + " consistent_at, raw_bytes, stored_bytes, sha256, compression, encryption, key_id,"
          + " bucket, object_key, manifest_key, storage_class, format, tool_version,"
          + " server_version, warnings, failure_type, failure_reason, workflow_id, run_id,"
          + " host_id, triggered_by";

  private final DataSource dataSource;
  private final String description;

  /** A catalog over {@code dataSource}, which must reach a PostgreSQL database. */
  public PostgresCatalog(DataSource dataSource) {
    this(dataSource, "the catalog database");
  }

  /** The catalog database, for capability-specific tables beside the backup tables. */
  public DataSource dataSource() {
    return dataSource;
  }

  private PostgresCatalog(DataSource dataSource, String description) {
    this.dataSource = dataSource;
    this.description = description;
  }

  /**
   * A catalog at {@code config.jdbcUrl()} as {@code config.user()}.
   *
   * @param password the resolved {@code config.password()}, or null for none
   */
  public static PostgresCatalog create(CatalogConfig config, String password) {
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setURL(config.jdbcUrl());
    dataSource.setUser(config.user());
    if (password != null) {
      dataSource.setPassword(password);
    }
    dataSource.setConnectTimeout(CONNECT_TIMEOUT_SECONDS);
    dataSource.setLoginTimeout(CONNECT_TIMEOUT_SECONDS);
    dataSource.setSocketTimeout(SOCKET_TIMEOUT_SECONDS);
    dataSource.setApplicationName("vigil-catalog");
    // The URL's query may hold settings (even a password): only host, port and database go into
    // messages.
    String url = config.jdbcUrl();
    int query = url.indexOf('?');
    String shown = query < 0 ? url : url.substring(0, query);
    return new PostgresCatalog(dataSource, shown + " (user '" + config.user() + "')");
  }

  @Override
  public void migrate() {
    try {
      Flyway.configure()
          .dataSource(dataSource)
          .schemas(SCHEMA)
          .defaultSchema(SCHEMA)
          .locations("classpath:db/migration")
          .load()
          .migrate();
    } catch (FlywayException e) {
      for (Throwable cause = e; cause != null; cause = cause.getCause()) {
        if (cause instanceof SQLException sql) {
          throw failure("migrating the schema", sql);
        }
      }
      throw new VigilException(
          ErrorType.CATALOG_UNAVAILABLE,
          "catalog " + description + ": migrating the schema failed: " + e.getMessage(),
          e);
    }
  }

  @Override
  public void beginBackup(BackupStart start) {
    String sql =
        "INSERT INTO vigil.backup (backup_id, set_id, source, source_type, kind, repository,"
            + " status, started_at, workflow_id, run_id, host_id, triggered_by)"
            + " VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', COALESCE(?, clock_timestamp()), ?, ?, ?, ?)"
            + " ON CONFLICT (backup_id) DO NOTHING";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement insert = connection.prepareStatement(sql)) {
      insert.setString(1, start.backupId());
      insert.setString(2, start.setId());
      insert.setString(3, start.source().name());
      insert.setString(4, start.source().type());
      insert.setString(5, start.source().kind());
      insert.setString(6, start.source().repository());
      setTimestamp(insert, 7, start.startedAtMillis());
      insert.setString(8, start.workflowId());
      insert.setString(9, start.runId());
      insert.setString(10, start.hostId());
      insert.setString(11, start.triggeredBy());
      if (insert.executeUpdate() == 0) {
        requireSameRun(connection, start);
      }
    } catch (SQLException e) {
      throw failure("recording the start of backup " + start.backupId(), e);
    }
  }

  /**
   * A begin that finds its row already there is a retry of the same run, or another run that got
   * the same id (ids are to the second; a second Temporal history, e.g. a re-created server, does
   * not know the first run). The other run's backup is never taken over: its objects would be
   * overwritten under an ARCHIVED row.
   */
  private static void requireSameRun(Connection connection, BackupStart start) throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT workflow_id, run_id, status FROM vigil.backup WHERE backup_id = ?")) {
      query.setString(1, start.backupId());
      try (ResultSet row = query.executeQuery()) {
        if (row.next() && !java.util.Objects.equals(row.getString(2), start.runId())) {
          throw new VigilException(
              ErrorType.DUPLICATE_RUN,
              "catalog: backup id "
                  + start.backupId()
                  + " is already taken by another run (workflow "
                  + row.getString(1)
                  + ", "
                  + row.getString(3)
                  + "); backup ids are to the second, start the backup again");
        }
      }
    }
  }

  @Override
  public OptionalLong previousArchivedRawBytes(String source, String backupId) {
    String sql =
        "SELECT raw_bytes FROM vigil.backup"
            + " WHERE source = ? AND status = 'ARCHIVED' AND backup_id IS DISTINCT FROM ?"
            + " ORDER BY consistent_at DESC NULLS LAST, backup_id DESC LIMIT 1";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, source);
      query.setString(2, backupId);
      try (ResultSet row = query.executeQuery()) {
        return row.next() ? OptionalLong.of(row.getLong(1)) : OptionalLong.empty();
      }
    } catch (SQLException e) {
      throw failure("reading the previous backup of source '" + source + "'", e);
    }
  }

  @Override
  public void recordPhysical(String backupId, PhysicalDump dump) {
    String sql =
        "UPDATE vigil.backup SET backup_mode = 'physical', start_lsn = ?::pg_lsn,"
            + " stop_lsn = ?::pg_lsn, timeline = ?, backup_started_at = ?,"
            + " backup_stopped_at = ? WHERE backup_id = ?";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement update = connection.prepareStatement(sql)) {
      update.setString(1, dump.startLsn());
      update.setString(2, dump.stopLsn());
      update.setInt(3, dump.timeline());
      setTimestamp(update, 4, dump.startedAt().toEpochMilli());
      setTimestamp(update, 5, dump.stoppedAt().toEpochMilli());
      update.setString(6, backupId);
      if (update.executeUpdate() != 1) {
        throw new VigilException(
            ErrorType.CATALOG_CONFLICT,
            "catalog: backup " + backupId + " has no row to record its LSNs on");
      }
    } catch (SQLException e) {
      throw failure("recording the LSNs of backup " + backupId, e);
    }
  }

  @Override
  public void markArchived(ArchiveRequest request) {
    String backupId = request.backupId();
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        // The row lock orders this against a concurrent markFailed of the same backup.
        Optional<String> status = lockStatus(connection, backupId);
        if (status.isEmpty()) {
          throw new VigilException(
              ErrorType.CATALOG_CONFLICT,
              "catalog: backup " + backupId + " cannot be archived: it was never started");
        }
        switch (status.get()) {
          case "ARCHIVED" -> {
            connection.rollback();
            return;
          }
          case "PRUNED" ->
              throw new VigilException(
                  ErrorType.CATALOG_CONFLICT,
                  "catalog: backup "
                      + backupId
                      + " is PRUNED and cannot be archived again; start a new backup");
          default -> {
            updateArchived(connection, request);
            upsertObjects(connection, request);
          }
        }
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(connection);
        throw e;
      }
    } catch (SQLException e) {
      throw failure("archiving backup " + backupId, e);
    }
  }

  private static Optional<String> lockStatus(Connection connection, String backupId)
      throws SQLException {
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT status FROM vigil.backup WHERE backup_id = ? FOR UPDATE")) {
      query.setString(1, backupId);
      try (ResultSet row = query.executeQuery()) {
        return row.next() ? Optional.of(row.getString(1)) : Optional.empty();
      }
    }
  }

  private static void updateArchived(Connection connection, ArchiveRequest request)
      throws SQLException {
    DumpResult dump = request.dump();
    SealResult sealed = request.sealed();
    UploadResult upload = request.upload();
    UploadVerification verification = request.verification();
    String sql =
        "UPDATE vigil.backup SET status = 'ARCHIVED', finished_at = clock_timestamp(),"
            + " consistent_at = ?, raw_bytes = ?, stored_bytes = ?, sha256 = ?, compression = ?,"
            + " encryption = ?, key_id = ?, bucket = ?, object_key = ?, manifest_key = ?,"
            + " storage_class = ?, format = ?, tool_version = ?, server_version = ?,"
            + " warnings = ?, failure_type = NULL, failure_reason = NULL"
            + " WHERE backup_id = ?";
    try (PreparedStatement update = connection.prepareStatement(sql)) {
      setTimestamp(update, 1, dump.consistentAtMillis());
      update.setLong(2, sealed.rawBytes());
      update.setLong(3, sealed.storedBytes());
      update.setString(4, sealed.sha256());
      update.setString(5, sealed.compression());
      update.setString(6, sealed.encryption());
      update.setString(7, sealed.keyId());
      update.setString(8, upload.bucket());
      update.setString(9, upload.objectKey());
      update.setString(10, upload.manifestKey());
      update.setString(11, storedClass(upload, verification));
      update.setString(12, dump.format());
      update.setString(13, dump.toolVersion());
      update.setString(14, dump.serverVersion());
      List<String> warnings = request.warnings() == null ? List.of() : request.warnings();
      update.setArray(15, connection.createArrayOf("text", warnings.toArray()));
      update.setString(16, request.backupId());
      update.executeUpdate();
    }
  }

  private static void upsertObjects(Connection connection, ArchiveRequest request)
      throws SQLException {
    UploadResult upload = request.upload();
    UploadVerification verification = request.verification();
    String sql =
        "INSERT INTO vigil.backup_object (backup_id, role, bucket, object_key, size_bytes, sha256,"
            + " storage_class) VALUES (?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (backup_id, role) DO UPDATE SET bucket = EXCLUDED.bucket,"
            + " object_key = EXCLUDED.object_key, size_bytes = EXCLUDED.size_bytes,"
            + " sha256 = EXCLUDED.sha256, storage_class = EXCLUDED.storage_class";
    try (PreparedStatement upsert = connection.prepareStatement(sql)) {
      // The data object as it was read back, which is what a restore will find.
      upsert.setString(1, request.backupId());
      upsert.setString(2, "data");
      upsert.setString(3, upload.bucket());
      upsert.setString(4, upload.objectKey());
      upsert.setLong(5, verification != null ? verification.size() : upload.storedBytes());
      upsert.setString(6, verification != null ? verification.sha256() : request.sealed().sha256());
      upsert.setString(7, storedClass(upload, verification));
      upsert.executeUpdate();
      if (upload.manifestKey() != null) {
        // The manifest is small and rewritten by design; its size and digest are not tracked.
        upsert.setString(2, "manifest");
        upsert.setString(4, upload.manifestKey());
        upsert.setNull(5, Types.BIGINT);
        upsert.setNull(6, Types.VARCHAR);
        upsert.setString(7, upload.storageClass());
        upsert.executeUpdate();
      }
    }
  }

  private static String storedClass(UploadResult upload, UploadVerification verification) {
    return verification != null && verification.storageClass() != null
        ? verification.storageClass()
        : upload.storageClass();
  }

  @Override
  public boolean markFailed(FailRequest request) {
    return markFailed(request, null);
  }

  @Override
  public boolean markFailed(FailRequest request, String runId) {
    // Only RUNNING moves: a FAILED retry changes nothing and an ARCHIVED backup stays archived.
    // With a run id, only that run's row: a run refused as a duplicate never fails the other one.
    String sql =
        "UPDATE vigil.backup SET status = 'FAILED', failure_type = ?, failure_reason = ?,"
            + " finished_at = clock_timestamp() WHERE backup_id = ? AND status = 'RUNNING'"
            + " AND (CAST(? AS text) IS NULL OR run_id = ?)";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement update = connection.prepareStatement(sql)) {
      update.setString(1, request.failureType());
      update.setString(2, request.reason());
      update.setString(3, request.backupId());
      update.setString(4, runId);
      update.setString(5, runId);
      return update.executeUpdate() == 1;
    } catch (SQLException e) {
      throw failure("recording the failure of backup " + request.backupId(), e);
    }
  }

  @Override
  public void recordBackupSet(BackupSetRequest request, String status, String manifestKey) {
    List<SourceBackupResult> results = request.results() == null ? List.of() : request.results();
    String upsertSet =
        "INSERT INTO vigil.backup_set (set_id, plan, status, manifest_key, triggered_by,"
            + " started_at, finished_at, source_count, archived_count)"
            + " VALUES (?, ?, ?, ?, ?, COALESCE(?, clock_timestamp()), ?, ?, ?)"
            + " ON CONFLICT (set_id) DO UPDATE SET plan = EXCLUDED.plan,"
            + " status = EXCLUDED.status, manifest_key = EXCLUDED.manifest_key,"
            + " triggered_by = EXCLUDED.triggered_by, started_at = EXCLUDED.started_at,"
            + " finished_at = EXCLUDED.finished_at, source_count = EXCLUDED.source_count,"
            + " archived_count = EXCLUDED.archived_count";
    // A set links only the backups it ran: not a DUPLICATE_RUN result (the same backup id taken by
    // another plan run in the same second), and never a backup another set began, whatever the
    // request says. Otherwise the set that ran it would lose it, COMPLETE with nothing to restore.
    String linkBackups =
        "UPDATE vigil.backup SET set_id = ? WHERE backup_id = ANY (?)"
            + " AND (set_id IS NULL OR set_id = ?)";
    Object[] ranBySet =
        results.stream()
            .filter(result -> !ErrorType.DUPLICATE_RUN.name().equals(result.failureType()))
            .map(SourceBackupResult::backupId)
            .toArray();
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try (PreparedStatement set = connection.prepareStatement(upsertSet);
          PreparedStatement link = connection.prepareStatement(linkBackups)) {
        set.setString(1, request.setId());
        set.setString(2, request.plan());
        set.setString(3, status);
        set.setString(4, manifestKey);
        set.setString(5, request.triggeredBy());
        setTimestamp(set, 6, request.startedAtMillis());
        setTimestamp(set, 7, request.finishedAtMillis());
        set.setInt(8, results.size());
        set.setInt(9, (int) results.stream().filter(SourceBackupResult::archived).count());
        set.executeUpdate();
        link.setString(1, request.setId());
        link.setArray(2, connection.createArrayOf("text", ranBySet));
        link.setString(3, request.setId());
        link.executeUpdate();
        connection.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(connection);
        throw e;
      }
    } catch (SQLException e) {
      throw failure("recording backup set " + request.setId(), e);
    }
  }

  @Override
  public Optional<BackupRecord> find(String backupId) {
    String sql = "SELECT " + COLUMNS + " FROM vigil.backup WHERE backup_id = ?";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, backupId);
      try (ResultSet row = query.executeQuery()) {
        return row.next() ? Optional.of(toRecord(row)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw failure("reading backup " + backupId, e);
    }
  }

  @Override
  public List<BackupRecord> list(String source) {
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM vigil.backup WHERE (?::text IS NULL OR source = ?)"
            + " ORDER BY started_at DESC, backup_id DESC";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, source);
      query.setString(2, source);
      List<BackupRecord> records = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          records.add(toRecord(rows));
        }
      }
      return records;
    } catch (SQLException e) {
      throw failure(source == null ? "listing backups" : "listing backups of '" + source + "'", e);
    }
  }

  @Override
  public List<BackupRecord> running() {
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM vigil.backup WHERE status = 'RUNNING' ORDER BY started_at, backup_id";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement query = connection.prepareStatement(sql);
        ResultSet rows = query.executeQuery()) {
      List<BackupRecord> records = new ArrayList<>();
      while (rows.next()) {
        records.add(toRecord(rows));
      }
      return records;
    } catch (SQLException e) {
      throw failure("listing running backups", e);
    }
  }

  private static BackupRecord toRecord(ResultSet row) throws SQLException {
    Array warnings = row.getArray("warnings");
    List<String> warningList =
        warnings == null ? List.of() : Arrays.asList((String[]) warnings.getArray());
    return new BackupRecord(
        row.getString("backup_id"),
        row.getString("set_id"),
        row.getString("source"),
        row.getString("source_type"),
        row.getString("kind"),
        row.getString("repository"),
        row.getString("status"),
        instant(row, "started_at"),
        instant(row, "finished_at"),
        instant(row, "consistent_at"),
        row.getLong("raw_bytes"),
        row.getLong("stored_bytes"),
        row.getString("sha256"),
        row.getString("compression"),
        row.getString("encryption"),
        row.getString("key_id"),
        row.getString("bucket"),
        row.getString("object_key"),
        row.getString("manifest_key"),
        row.getString("storage_class"),
        row.getString("format"),
        row.getString("tool_version"),
        row.getString("server_version"),
        List.copyOf(warningList),
        row.getString("failure_type"),
        row.getString("failure_reason"),
        row.getString("workflow_id"),
        row.getString("run_id"),
        row.getString("host_id"),
        row.getString("triggered_by"));
  }

  private static Instant instant(ResultSet row, String column) throws SQLException {
    OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  // A zero millisecond figure means "not known" in the workflow payloads.
  private static void setTimestamp(PreparedStatement statement, int index, long epochMillis)
      throws SQLException {
    if (epochMillis <= 0) {
      statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      statement.setObject(index, Instant.ofEpochMilli(epochMillis).atOffset(ZoneOffset.UTC));
    }
  }

  private static void rollbackQuietly(Connection connection) {
    try {
      connection.rollback();
    } catch (SQLException ignored) {
      // The connection is closed next; the server rolls back what is left.
    }
  }

  private VigilException failure(String action, SQLException error) {
    String state = error.getSQLState() == null ? "" : error.getSQLState();
    if (state.startsWith("08")) {
      return new VigilException(
          ErrorType.CATALOG_UNAVAILABLE,
          "catalog "
              + description
              + " unreachable while "
              + action
              + " ("
              + Objects.requireNonNullElse(SqlErrors.unreachableReason(error), error.getMessage())
              + "); check catalog.jdbc-url and that the database is running",
          error);
    }
    if (state.startsWith("28")) {
      return new VigilException(
          ErrorType.CATALOG_UNAVAILABLE,
          "catalog "
              + description
              + " refused the login while "
              + action
              + " ("
              + error.getMessage()
              + "); check catalog.user and catalog.password-env or catalog.password-file",
          error);
    }
    return new VigilException(
        ErrorType.CATALOG_UNAVAILABLE,
        "catalog "
            + description
            + ": "
            + action
            + " failed (SQLState "
            + state
            + "): "
            + error.getMessage(),
        error);
  }
}
