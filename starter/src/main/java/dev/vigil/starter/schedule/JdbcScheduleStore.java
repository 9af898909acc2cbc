package dev.vigil.starter.schedule;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.sql.DataSource;

/** {@link ScheduleStore} over the catalog table {@code vigil.schedule} (migration V5). */
public final class JdbcScheduleStore implements ScheduleStore {
  private final DataSource dataSource;

  public JdbcScheduleStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  @Override
  public void upsert(StoredSchedule schedule) {
    ScheduleDefinition definition = schedule.definition();
    String sql =
        "INSERT INTO vigil.schedule (name, kind, plan, sources, cron, interval_seconds,"
            + " catchup_window_seconds, mode, temporal_id, applied_at, applied_by)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, plan = excluded.plan,"
            + " sources = excluded.sources, cron = excluded.cron,"
            + " interval_seconds = excluded.interval_seconds,"
            + " catchup_window_seconds = excluded.catchup_window_seconds, mode = excluded.mode,"
            + " temporal_id = excluded.temporal_id, applied_at = excluded.applied_at,"
            + " applied_by = excluded.applied_by";
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setString(1, definition.name());
      statement.setString(2, definition.kind().label());
      statement.setString(3, definition.plan());
      statement.setArray(4, connection.createArrayOf("text", definition.sources().toArray()));
      statement.setString(5, definition.cron());
      statement.setLong(6, schedule.intervalSeconds());
      statement.setLong(7, definition.catchupWindow().toSeconds());
      statement.setString(8, schedule.mode().name());
      statement.setString(9, schedule.temporalId());
      statement.setTimestamp(10, Timestamp.from(schedule.appliedAt()));
      statement.setString(11, schedule.appliedBy());
      statement.executeUpdate();
    } catch (SQLException e) {
      throw failure("record schedule " + definition.name(), e);
    }
  }

  @Override
  public List<StoredSchedule> all() {
    String sql =
        "SELECT name, kind, plan, sources, cron, interval_seconds, catchup_window_seconds, mode,"
            + " temporal_id, applied_at, applied_by FROM vigil.schedule ORDER BY name";
    List<StoredSchedule> rows = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(sql);
        ResultSet result = statement.executeQuery()) {
      while (result.next()) {
        Array sources = result.getArray("sources");
        ScheduleDefinition definition =
            new ScheduleDefinition(
                result.getString("name"),
                ScheduleKind.of(result.getString("kind")),
                result.getString("cron"),
                result.getString("plan"),
                sources == null ? List.of() : Arrays.asList((String[]) sources.getArray()),
                Duration.ofSeconds(result.getLong("catchup_window_seconds")),
                false);
        rows.add(
            new StoredSchedule(
                definition,
                result.getLong("interval_seconds"),
                ScheduleMode.valueOf(result.getString("mode")),
                result.getString("temporal_id"),
                result.getTimestamp("applied_at").toInstant(),
                result.getString("applied_by")));
      }
    } catch (SQLException e) {
      throw failure("read the schedules", e);
    }
    return rows;
  }

  @Override
  public void delete(String name) {
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement =
            connection.prepareStatement("DELETE FROM vigil.schedule WHERE name = ?")) {
      statement.setString(1, name);
      statement.executeUpdate();
    } catch (SQLException e) {
      throw failure("delete schedule " + name, e);
    }
  }

  private static IllegalStateException failure(String what, SQLException e) {
    return new IllegalStateException(
        "cannot "
            + what
            + " in the catalog (vigil.schedule): "
            + e.getMessage()
            + "; check the catalog is reachable and migrated",
        e);
  }
}
