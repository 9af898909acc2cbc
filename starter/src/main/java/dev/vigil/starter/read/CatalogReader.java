package dev.vigil.starter.read;

import dev.vigil.starter.schedule.JdbcScheduleStore;
import dev.vigil.starter.schedule.StoredSchedule;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Read-only views of the catalog (schema {@code vigil}) for the CLI, the HTTP API and the metrics.
 * Every list is newest first. Connections are set read-only, so a bug here cannot change the
 * catalog. Failures surface as {@link CatalogReadException} with the statement's purpose, never the
 * connection's settings.
 */
public final class CatalogReader {
  /** The number of rows a list returns when the caller does not say. */
  public static final int DEFAULT_LIMIT = 100;

  private static final int MAX_LIMIT = 10_000;

  private static final String BACKUP_COLUMNS =
      "backup_id, set_id, source, kind, repository, status, started_at, finished_at,"
          + " consistent_at, raw_bytes, stored_bytes, sha256, storage_class, bucket, object_key,"
          + " warnings, failure_type, failure_reason, workflow_id, triggered_by";
  private static final String SET_COLUMNS =
      "set_id, plan, status, started_at, finished_at, source_count, archived_count, triggered_by";
  private static final String DRILL_COLUMNS =
      "drill_id, plan, status, set_id, started_at, finished_at, total_rto_millis,"
          + " worst_rpo_millis, rto_objective_millis, rpo_objective_millis, failures,"
          + " triggered_by, workflow_id";
  private static final String RESTORE_COLUMNS =
      "restore_id, run_id, backup_id, source, target_type, status, started_at, finished_at,"
          + " duration_millis, validation_passed, failure_type, failure_reason, requested_by";

  private final DataSource dataSource;

  /** A reader over {@code dataSource}, which must reach the catalog database. */
  public CatalogReader(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** The backups {@code query} matches, newest first. */
  public List<BackupView> backups(BackupQuery query) {
    StringBuilder sql =
        new StringBuilder("SELECT " + BACKUP_COLUMNS + " FROM vigil.backup WHERE true");
    List<Object> parameters = new ArrayList<>();
    if (query.source() != null) {
      sql.append(" AND source = ?");
      parameters.add(query.source());
    }
    if (query.status() != null) {
      sql.append(" AND status = ?");
      parameters.add(query.status());
    }
    if (query.since() != null) {
      sql.append(" AND started_at >= ?");
      parameters.add(Timestamp.from(query.since()));
    }
    sql.append(" ORDER BY started_at DESC, backup_id DESC LIMIT ?");
    parameters.add(limit(query.limit()));
    return list("listing backups", sql.toString(), parameters, CatalogReader::backupView);
  }

  /** The backup {@code backupId}, if the catalog has it. */
  public Optional<BackupView> backup(String backupId) {
    return first(
        list(
            "reading backup " + backupId,
            "SELECT " + BACKUP_COLUMNS + " FROM vigil.backup WHERE backup_id = ?",
            List.of(backupId),
            CatalogReader::backupView));
  }

  /**
   * A page of the manifest of backup {@code backupId} (empty if the catalog has no such backup):
   * the entries whose name contains {@code filterOrNull} (any case; null: every entry), by name,
   * {@code limit} from {@code offset}, with the counts and the run's steps.
   */
  public Optional<ManifestPage> manifest(
      String backupId, String filterOrNull, int offset, int limit) {
    Optional<BackupView> backup = backup(backupId);
    if (backup.isEmpty()) {
      return Optional.empty();
    }
    String purpose = "reading the manifest of backup " + backupId;
    List<long[]> counts =
        list(
            purpose,
            "SELECT count(*) AS entries,"
                + " count(*) FILTER (WHERE strpos(lower(name), lower(?)) > 0) AS matching,"
                + " count(*) FILTER (WHERE entry_type = 'table') AS tables"
                + " FROM vigil.backup_entry WHERE backup_id = ?",
            List.of(filterOrNull == null ? "" : filterOrNull, backupId),
            row ->
                new long[] {
                  row.getLong("entries"), row.getLong("matching"), row.getLong("tables")
                });
    long entryCount = counts.get(0)[0];
    String contents = entryCount == 0 ? "none" : counts.get(0)[2] > 0 ? "tables" : "files";
    List<ManifestEntryView> entries =
        list(
            purpose,
            "SELECT name, entry_type, size_bytes, row_count, sha256 FROM vigil.backup_entry"
                + " WHERE backup_id = ? AND strpos(lower(name), lower(?)) > 0"
                + " ORDER BY name OFFSET ? LIMIT ?",
            List.of(backupId, filterOrNull == null ? "" : filterOrNull, offset, limit(limit)),
            row ->
                new ManifestEntryView(
                    row.getString("name"),
                    row.getString("entry_type"),
                    row.getObject("size_bytes", Long.class),
                    row.getObject("row_count", Long.class),
                    row.getString("sha256")));
    List<BackupStepView> steps =
        list(
            purpose,
            "SELECT step ->> 'step' AS step, (step ->> 'startedAtMillis')::bigint AS started,"
                + " (step ->> 'durationMillis')::bigint AS duration"
                + " FROM vigil.backup, jsonb_array_elements(COALESCE(steps, '[]'::jsonb))"
                + " WITH ORDINALITY AS s(step, position)"
                + " WHERE backup_id = ? ORDER BY position",
            List.of(backupId),
            row ->
                new BackupStepView(
                    row.getString("step"),
                    Instant.ofEpochMilli(row.getLong("started")),
                    row.getLong("duration")));
    return Optional.of(
        new ManifestPage(
            backupId,
            backup.get().source(),
            contents,
            filterOrNull,
            offset,
            limit(limit),
            entryCount,
            counts.get(0)[1],
            entries,
            steps));
  }

  /**
   * Backups started in {@code [from, to)} or that ended in it, newest first: what happened on a
   * day.
   */
  public List<BackupView> backupsBetween(Instant from, Instant to) {
    return list(
        "listing backups between " + from + " and " + to,
        "SELECT "
            + BACKUP_COLUMNS
            + " FROM vigil.backup WHERE (started_at >= ? AND started_at < ?)"
            + " OR (finished_at >= ? AND finished_at < ?)"
            + " ORDER BY started_at DESC, backup_id DESC",
        List.of(Timestamp.from(from), Timestamp.from(to), Timestamp.from(from), Timestamp.from(to)),
        CatalogReader::backupView);
  }

  /**
   * The newest backup of every source and kind started before {@code before} (null: now), with
   * {@code status} (null: any). One row per source and kind, sorted by source.
   */
  public List<BackupView> latestBackups(String status, Instant before) {
    StringBuilder sql =
        new StringBuilder(
            "SELECT DISTINCT ON (source, kind) "
                + BACKUP_COLUMNS
                + " FROM vigil.backup WHERE true");
    List<Object> parameters = new ArrayList<>();
    if (status != null) {
      sql.append(" AND status = ?");
      parameters.add(status);
    }
    if (before != null) {
      sql.append(" AND started_at < ?");
      parameters.add(Timestamp.from(before));
    }
    sql.append(
        " ORDER BY source, kind, COALESCE(finished_at, started_at) DESC, started_at DESC,"
            + " backup_id DESC");
    return list(
        "reading the latest backup of every source",
        sql.toString(),
        parameters,
        CatalogReader::backupView);
  }

  /** The newest runs of {@code planOrNull} (null: every plan), at most {@code limit}. */
  public List<BackupSetView> backupSets(String planOrNull, int limit) {
    String where = planOrNull == null ? "" : " WHERE plan = ?";
    List<Object> parameters = new ArrayList<>();
    if (planOrNull != null) {
      parameters.add(planOrNull);
    }
    parameters.add(limit(limit));
    return list(
        "listing backup sets",
        "SELECT "
            + SET_COLUMNS
            + " FROM vigil.backup_set"
            + where
            + " ORDER BY started_at DESC, set_id DESC LIMIT ?",
        parameters,
        CatalogReader::backupSetView);
  }

  /** The newest drills of {@code planOrNull} (null: every plan) with their components. */
  public List<DrillView> drills(String planOrNull, int limit) {
    String where = planOrNull == null ? "" : " WHERE plan = ?";
    List<Object> parameters = new ArrayList<>();
    if (planOrNull != null) {
      parameters.add(planOrNull);
    }
    parameters.add(limit(limit));
    return withComponents(
        "SELECT "
            + DRILL_COLUMNS
            + " FROM vigil.drill"
            + where
            + " ORDER BY started_at DESC, drill_id DESC LIMIT ?",
        parameters);
  }

  /** The newest drill of {@code planOrNull} (null: of any plan), with its components. */
  public Optional<DrillView> latestDrill(String planOrNull) {
    return first(drills(planOrNull, 1));
  }

  /** The newest drill of every plan, sorted by plan. */
  public List<DrillView> latestDrills() {
    return withComponents(
        "SELECT DISTINCT ON (plan) "
            + DRILL_COLUMNS
            + " FROM vigil.drill ORDER BY plan, started_at DESC, drill_id DESC",
        List.of());
  }

  /** Drills that started in {@code [from, to)}, newest first, with their components. */
  public List<DrillView> drillsBetween(Instant from, Instant to) {
    return withComponents(
        "SELECT "
            + DRILL_COLUMNS
            + " FROM vigil.drill WHERE started_at >= ? AND started_at < ?"
            + " ORDER BY started_at DESC, drill_id DESC",
        List.of(Timestamp.from(from), Timestamp.from(to)));
  }

  /** Restores of {@code sourceOrNull} (null: any) started in {@code [from, to)}, newest first. */
  public List<RestoreView> restores(String sourceOrNull, Instant from, Instant to, int limit) {
    StringBuilder sql =
        new StringBuilder("SELECT " + RESTORE_COLUMNS + " FROM vigil.restore WHERE true");
    List<Object> parameters = new ArrayList<>();
    if (sourceOrNull != null) {
      sql.append(" AND source = ?");
      parameters.add(sourceOrNull);
    }
    if (from != null) {
      sql.append(" AND started_at >= ?");
      parameters.add(Timestamp.from(from));
    }
    if (to != null) {
      sql.append(" AND started_at < ?");
      parameters.add(Timestamp.from(to));
    }
    sql.append(" ORDER BY started_at DESC, restore_id DESC LIMIT ?");
    parameters.add(limit(limit));
    return list("listing restores", sql.toString(), parameters, CatalogReader::restoreView);
  }

  /**
   * Bytes stored per repository and storage class by the backups the catalog offers (ARCHIVED, cold
   * copies included; PRUNING and PRUNED excluded), sorted by repository and class.
   */
  public List<StorageUsage> storageUsage() {
    return list(
        "summing storage per repository",
        "SELECT b.repository,"
            + " COALESCE(o.storage_class, b.storage_class, 'STANDARD') AS storage_class,"
            + " count(DISTINCT b.backup_id) AS backups, count(*) AS objects,"
            + " COALESCE(sum(COALESCE(o.size_bytes, CASE WHEN o.role = 'data'"
            + " THEN b.stored_bytes ELSE 0 END)), 0) AS stored_bytes"
            + " FROM vigil.backup b JOIN vigil.backup_object o ON o.backup_id = b.backup_id"
            + " WHERE b.status = 'ARCHIVED'"
            + " GROUP BY 1, 2 ORDER BY 1, 2",
        List.of(),
        row ->
            new StorageUsage(
                row.getString("repository"),
                row.getString("storage_class"),
                row.getInt("backups"),
                row.getInt("objects"),
                row.getLong("stored_bytes")));
  }

  /**
   * The schedules {@code vigil schedules apply} last applied, sorted by name: read by the
   * scheduler's own store, so the table has one reader.
   */
  public List<StoredSchedule> schedules() {
    return new JdbcScheduleStore(dataSource).all();
  }

  private List<DrillView> withComponents(String drillSql, List<Object> parameters) {
    List<DrillView> drills = list("listing drills", drillSql, parameters, CatalogReader::drillRow);
    if (drills.isEmpty()) {
      return drills;
    }
    Map<String, List<DrillComponentView>> components = new LinkedHashMap<>();
    for (DrillView drill : drills) {
      components.put(drill.drillId(), new ArrayList<>());
    }
    String[] ids = components.keySet().toArray(String[]::new);
    try (Connection connection = connect();
        PreparedStatement select =
            connection.prepareStatement(
                "SELECT drill_id, source, kind, backup_id, status, stored_bytes, restore_millis,"
                    + " rto_millis, rpo_millis, rto_objective_millis, rpo_objective_millis,"
                    + " validation, failures, passed FROM vigil.drill_component"
                    + " WHERE drill_id = ANY (?) ORDER BY drill_id, position")) {
      select.setArray(1, connection.createArrayOf("text", ids));
      try (ResultSet row = select.executeQuery()) {
        while (row.next()) {
          components
              .get(row.getString("drill_id"))
              .add(
                  new DrillComponentView(
                      row.getString("source"),
                      row.getString("kind"),
                      row.getString("backup_id"),
                      row.getString("status"),
                      row.getLong("stored_bytes"),
                      row.getLong("restore_millis"),
                      row.getLong("rto_millis"),
                      row.getLong("rpo_millis"),
                      row.getLong("rto_objective_millis"),
                      row.getLong("rpo_objective_millis"),
                      row.getString("validation"),
                      strings(row.getArray("failures")),
                      row.getBoolean("passed")));
        }
      }
    } catch (SQLException e) {
      throw new CatalogReadException("reading drill components", e);
    }
    List<DrillView> complete = new ArrayList<>(drills.size());
    for (DrillView drill : drills) {
      complete.add(
          new DrillView(
              drill.drillId(),
              drill.plan(),
              drill.status(),
              drill.setId(),
              drill.startedAt(),
              drill.finishedAt(),
              drill.totalRtoMillis(),
              drill.worstRpoMillis(),
              drill.rtoObjectiveMillis(),
              drill.rpoObjectiveMillis(),
              drill.failures(),
              drill.triggeredBy(),
              drill.workflowId(),
              List.copyOf(components.get(drill.drillId()))));
    }
    return List.copyOf(complete);
  }

  private Connection connect() throws SQLException {
    Connection connection = dataSource.getConnection();
    try {
      connection.setReadOnly(true);
    } catch (SQLException e) {
      connection.close();
      throw e;
    }
    return connection;
  }

  private <T> List<T> list(
      String purpose, String sql, List<Object> parameters, RowMapper<T> mapper) {
    try (Connection connection = connect();
        PreparedStatement select = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.size(); i++) {
        select.setObject(i + 1, parameters.get(i));
      }
      List<T> rows = new ArrayList<>();
      try (ResultSet row = select.executeQuery()) {
        while (row.next()) {
          rows.add(mapper.map(row));
        }
      }
      return List.copyOf(rows);
    } catch (SQLException e) {
      throw new CatalogReadException(purpose, e);
    }
  }

  private static <T> Optional<T> first(List<T> rows) {
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  private static int limit(int requested) {
    return requested <= 0 ? DEFAULT_LIMIT : Math.min(requested, MAX_LIMIT);
  }

  private static BackupView backupView(ResultSet row) throws SQLException {
    return new BackupView(
        row.getString("backup_id"),
        row.getString("set_id"),
        row.getString("source"),
        row.getString("kind"),
        row.getString("repository"),
        row.getString("status"),
        instant(row, "started_at"),
        instant(row, "finished_at"),
        instant(row, "consistent_at"),
        row.getLong("raw_bytes"),
        row.getLong("stored_bytes"),
        row.getString("sha256"),
        row.getString("storage_class"),
        row.getString("bucket"),
        row.getString("object_key"),
        strings(row.getArray("warnings")),
        row.getString("failure_type"),
        row.getString("failure_reason"),
        row.getString("workflow_id"),
        row.getString("triggered_by"));
  }

  private static BackupSetView backupSetView(ResultSet row) throws SQLException {
    return new BackupSetView(
        row.getString("set_id"),
        row.getString("plan"),
        row.getString("status"),
        instant(row, "started_at"),
        instant(row, "finished_at"),
        row.getInt("source_count"),
        row.getInt("archived_count"),
        row.getString("triggered_by"));
  }

  private static DrillView drillRow(ResultSet row) throws SQLException {
    return new DrillView(
        row.getString("drill_id"),
        row.getString("plan"),
        row.getString("status"),
        row.getString("set_id"),
        instant(row, "started_at"),
        instant(row, "finished_at"),
        row.getLong("total_rto_millis"),
        row.getLong("worst_rpo_millis"),
        row.getLong("rto_objective_millis"),
        row.getLong("rpo_objective_millis"),
        strings(row.getArray("failures")),
        row.getString("triggered_by"),
        row.getString("workflow_id"),
        List.of());
  }

  private static RestoreView restoreView(ResultSet row) throws SQLException {
    boolean passed = row.getBoolean("validation_passed");
    Boolean validationPassed = row.wasNull() ? null : passed;
    return new RestoreView(
        row.getString("restore_id"),
        row.getString("run_id"),
        row.getString("backup_id"),
        row.getString("source"),
        row.getString("target_type"),
        row.getString("status"),
        instant(row, "started_at"),
        instant(row, "finished_at"),
        row.getLong("duration_millis"),
        validationPassed,
        row.getString("failure_type"),
        row.getString("failure_reason"),
        row.getString("requested_by"));
  }

  private static Instant instant(ResultSet row, String column) throws SQLException {
    Timestamp timestamp = row.getTimestamp(column);
    return timestamp == null ? null : timestamp.toInstant();
  }

  private static List<String> strings(Array array) throws SQLException {
    if (array == null) {
      return List.of();
    }
    try {
      return List.copyOf(Arrays.asList((String[]) array.getArray()));
    } finally {
      array.free();
    }
  }

  @FunctionalInterface
  private interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;
  }
}
