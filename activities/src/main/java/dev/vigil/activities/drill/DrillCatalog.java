package dev.vigil.activities.drill;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.SqlErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.drill.DrillBackup;
import dev.vigil.workflows.drill.DrillBackupSet;
import dev.vigil.workflows.drill.DrillComponent;
import dev.vigil.workflows.drill.DrillObjectives;
import dev.vigil.workflows.drill.DrillReport;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Drill reports in the catalog (tables {@code vigil.drill} and {@code vigil.drill_component}, from
 * migration V4), and the catalog query that picks the backup set a drill restores.
 */
public final class DrillCatalog {
  private static final TypeReference<List<StepTiming>> STEPS = new TypeReference<>() {};

  private final DataSource dataSource;

  public DrillCatalog(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * The newest backup set (by start) in which every one of {@code sources} has an {@code ARCHIVED}
   * backup, with those backups in the order of {@code sources}.
   */
  public Optional<DrillBackupSet> newestCompleteSet(List<String> sources) {
    String newest =
        "SELECT s.set_id FROM vigil.backup_set s"
            + " WHERE (SELECT count(DISTINCT b.source) FROM vigil.backup b"
            + "        WHERE b.set_id = s.set_id AND b.status = 'ARCHIVED'"
            + "        AND b.source = ANY (?)) = ?"
            + " ORDER BY s.started_at DESC, s.set_id DESC LIMIT 1";
    String backups =
        "SELECT source, backup_id, stored_bytes, raw_bytes, consistent_at FROM vigil.backup"
            + " WHERE set_id = ? AND status = 'ARCHIVED' AND source = ANY (?)";
    try (Connection connection = dataSource.getConnection()) {
      String setId;
      try (PreparedStatement query = connection.prepareStatement(newest)) {
        query.setArray(1, connection.createArrayOf("text", sources.toArray()));
        query.setInt(2, sources.size());
        try (ResultSet row = query.executeQuery()) {
          if (!row.next()) {
            return Optional.empty();
          }
          setId = row.getString(1);
        }
      }
      List<DrillBackup> found = new ArrayList<>();
      try (PreparedStatement query = connection.prepareStatement(backups)) {
        query.setString(1, setId);
        query.setArray(2, connection.createArrayOf("text", sources.toArray()));
        try (ResultSet row = query.executeQuery()) {
          while (row.next()) {
            Timestamp consistentAt = row.getTimestamp("consistent_at");
            found.add(
                new DrillBackup(
                    row.getString("source"),
                    row.getString("backup_id"),
                    row.getLong("stored_bytes"),
                    row.getLong("raw_bytes"),
                    consistentAt == null ? 0 : consistentAt.getTime()));
          }
        }
      }
      found.sort((a, b) -> sources.indexOf(a.source()) - sources.indexOf(b.source()));
      return Optional.of(new DrillBackupSet(setId, List.copyOf(found)));
    } catch (SQLException e) {
      throw failure("selecting the newest backup set of " + sources, e);
    }
  }

  /** Writes {@code report}, replacing an earlier write of the same drill (activity retries). */
  public void record(DrillReport report, String workflowId, String runId) {
    String upsert =
        "INSERT INTO vigil.drill (drill_id, plan, status, set_id, triggered_by, started_at,"
            + " finished_at, total_rto_millis, worst_rpo_millis, rto_objective_millis,"
            + " rpo_objective_millis, failures, workflow_id, run_id)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (drill_id) DO UPDATE SET plan = EXCLUDED.plan,"
            + " status = EXCLUDED.status, set_id = EXCLUDED.set_id,"
            + " triggered_by = EXCLUDED.triggered_by, started_at = EXCLUDED.started_at,"
            + " finished_at = EXCLUDED.finished_at, total_rto_millis = EXCLUDED.total_rto_millis,"
            + " worst_rpo_millis = EXCLUDED.worst_rpo_millis,"
            + " rto_objective_millis = EXCLUDED.rto_objective_millis,"
            + " rpo_objective_millis = EXCLUDED.rpo_objective_millis,"
            + " failures = EXCLUDED.failures, workflow_id = EXCLUDED.workflow_id,"
            + " run_id = EXCLUDED.run_id";
    String component =
        "INSERT INTO vigil.drill_component (drill_id, position, source, kind, backup_id, status,"
            + " stored_bytes, raw_bytes, restore_millis, rto_millis, rpo_millis,"
            + " rto_objective_millis, rpo_objective_millis, validation, checks, failures, steps,"
            + " passed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)";
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(false);
      try {
        try (PreparedStatement insert = connection.prepareStatement(upsert)) {
          insert.setString(1, report.drillId());
          insert.setString(2, report.plan());
          insert.setString(3, report.status());
          insert.setString(4, report.setId());
          insert.setString(5, report.triggeredBy());
          insert.setTimestamp(6, new Timestamp(report.startedAtMillis()));
          insert.setTimestamp(7, new Timestamp(report.finishedAtMillis()));
          insert.setLong(8, report.totalRtoMillis());
          insert.setLong(9, report.worstRpoMillis());
          insert.setLong(10, report.objectives().rtoMillis());
          insert.setLong(11, report.objectives().rpoMillis());
          insert.setArray(12, connection.createArrayOf("text", report.failures().toArray()));
          insert.setString(13, workflowId);
          insert.setString(14, runId);
          insert.executeUpdate();
        }
        try (PreparedStatement delete =
            connection.prepareStatement("DELETE FROM vigil.drill_component WHERE drill_id = ?")) {
          delete.setString(1, report.drillId());
          delete.executeUpdate();
        }
        try (PreparedStatement insert = connection.prepareStatement(component)) {
          int position = 0;
          for (DrillComponent part : report.components()) {
            insert.setString(1, report.drillId());
            insert.setInt(2, position++);
            insert.setString(3, part.source());
            insert.setString(4, part.kind());
            insert.setString(5, part.backupId());
            insert.setString(6, part.status());
            insert.setLong(7, part.storedBytes());
            insert.setLong(8, part.rawBytes());
            insert.setLong(9, part.restoreMillis());
            insert.setLong(10, part.rtoMillis());
            insert.setLong(11, part.rpoMillis());
            insert.setLong(12, part.rtoObjectiveMillis());
            insert.setLong(13, part.rpoObjectiveMillis());
            insert.setString(14, part.validation());
            insert.setArray(15, connection.createArrayOf("text", part.checks().toArray()));
            insert.setArray(16, connection.createArrayOf("text", part.failures().toArray()));
            insert.setString(17, Json.MAPPER.writeValueAsString(part.steps()));
            insert.setBoolean(18, part.passed());
            insert.addBatch();
          }
          insert.executeBatch();
        }
        connection.commit();
      } catch (SQLException | RuntimeException | JsonProcessingException e) {
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw failure("recording drill " + report.drillId(), e);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("step timings of " + report.drillId() + " as JSON", e);
    }
  }

  /** A recorded drill, read back. */
  public Optional<DrillReport> find(String drillId) {
    try (Connection connection = dataSource.getConnection()) {
      DrillReport drill;
      try (PreparedStatement query =
          connection.prepareStatement("SELECT * FROM vigil.drill WHERE drill_id = ?")) {
        query.setString(1, drillId);
        try (ResultSet row = query.executeQuery()) {
          if (!row.next()) {
            return Optional.empty();
          }
          drill =
              new DrillReport(
                  drillId,
                  row.getString("plan"),
                  row.getString("status"),
                  row.getString("set_id"),
                  row.getString("triggered_by"),
                  row.getTimestamp("started_at").getTime(),
                  row.getTimestamp("finished_at").getTime(),
                  row.getLong("total_rto_millis"),
                  row.getLong("worst_rpo_millis"),
                  new DrillObjectives(
                      row.getLong("rto_objective_millis"), row.getLong("rpo_objective_millis")),
                  List.of(),
                  texts(row, "failures"));
        }
      }
      List<DrillComponent> components = new ArrayList<>();
      try (PreparedStatement query =
          connection.prepareStatement(
              "SELECT * FROM vigil.drill_component WHERE drill_id = ? ORDER BY position")) {
        query.setString(1, drillId);
        try (ResultSet row = query.executeQuery()) {
          while (row.next()) {
            components.add(
                new DrillComponent(
                    row.getString("source"),
                    row.getString("kind"),
                    row.getString("backup_id"),
                    row.getString("status"),
                    row.getLong("stored_bytes"),
                    row.getLong("raw_bytes"),
                    row.getLong("restore_millis"),
                    row.getLong("rto_millis"),
                    row.getLong("rpo_millis"),
                    row.getLong("rto_objective_millis"),
                    row.getLong("rpo_objective_millis"),
                    row.getString("validation"),
                    texts(row, "checks"),
                    texts(row, "failures"),
                    Json.MAPPER.readValue(row.getString("steps"), STEPS),
                    row.getBoolean("passed")));
          }
        }
      }
      return Optional.of(
          new DrillReport(
              drill.drillId(),
              drill.plan(),
              drill.status(),
              drill.setId(),
              drill.triggeredBy(),
              drill.startedAtMillis(),
              drill.finishedAtMillis(),
              drill.totalRtoMillis(),
              drill.worstRpoMillis(),
              drill.objectives(),
              List.copyOf(components),
              drill.failures()));
    } catch (SQLException e) {
      throw failure("reading drill " + drillId, e);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("step timings of " + drillId + " are not valid JSON", e);
    }
  }

  private static List<String> texts(ResultSet row, String column) throws SQLException {
    Array array = row.getArray(column);
    return array == null ? List.of() : List.copyOf(Arrays.asList((String[]) array.getArray()));
  }

  private static VigilException failure(String action, SQLException error) {
    String state = Objects.requireNonNullElse(error.getSQLState(), "");
    String unreachable = SqlErrors.unreachableReason(error);
    String reason = unreachable != null ? unreachable : error.getMessage();
    String hint =
        state.startsWith("42")
            ? "; the catalog schema is older than this worker: restart a worker to migrate it"
            : "; check catalog.jdbc-url and that the database is running";
    return new VigilException(
        ErrorType.CATALOG_UNAVAILABLE,
        "catalog: " + action + " failed (" + reason + ")" + hint,
        error);
  }
}
