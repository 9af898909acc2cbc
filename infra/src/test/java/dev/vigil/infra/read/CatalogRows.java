package dev.vigil.infra.read;

import dev.vigil.activities.catalog.PostgresCatalog;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.starter.read.CatalogReader;
import java.time.Instant;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A fresh catalog database migrated by the real Flyway migrations, with a known history of backups,
 * restores, drills and schedules written as SQL rows, for the read-side ITs.
 *
 * <p>The day the history centres on is {@link #DAY} (2026-11-20, UTC): appdb archived the day
 * before and on the day; models archived 10 days earlier (its data since moved to GLACIER) and
 * failed on the day; a third source's only backup is PRUNED. One restore passed and one failed on
 * the day; plan "nightly" failed a drill on the day, plan "quarterly" passed one on 2026-11-01.
 */
final class CatalogRows {
  static final String DAY = "2026-11-20";

  final String database;
  final DataSource dataSource;
  final CatalogReader reader;

  private CatalogRows(String database, DataSource dataSource) {
    this.database = database;
    this.dataSource = dataSource;
    this.reader = new CatalogReader(dataSource);
  }

  /** A migrated, empty catalog. */
  static CatalogRows empty() {
    PostgresFixture postgres = PostgresFixture.get();
    String database = postgres.createDatabase();
    PostgresCatalog.create(postgres.catalogConfig(database), postgres.password()).migrate();
    PGSimpleDataSource dataSource = new PGSimpleDataSource();
    dataSource.setURL(postgres.cluster().jdbcUrl(database));
    dataSource.setUser(postgres.superuser());
    dataSource.setPassword(postgres.password());
    return new CatalogRows(database, dataSource);
  }

  /** A migrated catalog holding the history described above. */
  static CatalogRows withHistory() {
    CatalogRows rows = empty();
    rows.backup(
        "appdb-1",
        "set-1",
        "appdb",
        "database",
        "ARCHIVED",
        "2026-11-19T02:00:00Z",
        "2026-11-19T02:01:00Z",
        1000,
        400,
        "STANDARD");
    rows.object("appdb-1", "data", 400, "STANDARD");
    rows.object("appdb-1", "manifest", 50, "STANDARD");
    rows.backup(
        "appdb-2",
        "set-2",
        "appdb",
        "database",
        "ARCHIVED",
        "2026-11-20T02:00:00Z",
        "2026-11-20T02:00:30Z",
        2000,
        800,
        "STANDARD");
    rows.object("appdb-2", "data", 800, "STANDARD");
    rows.object("appdb-2", "manifest", 50, "STANDARD");
    rows.backup(
        "models-1",
        "set-0",
        "models",
        "model",
        "ARCHIVED",
        "2026-11-10T02:00:00Z",
        "2026-11-10T02:05:00Z",
        9000,
        5000,
        "GLACIER");
    rows.object("models-1", "data", 5000, "GLACIER");
    rows.object("models-1", "manifest", 40, "STANDARD");
    rows.backup(
        "models-2",
        "set-2",
        "models",
        "model",
        "FAILED",
        "2026-11-20T02:00:00Z",
        "2026-11-20T02:00:05Z",
        0,
        0,
        null);
    rows.execute(
        "UPDATE vigil.backup SET failure_type = 'SOURCE_UNREACHABLE', failure_reason = 'source"
            + " models: directory /srv/models is missing' WHERE backup_id = 'models-2'",
        "UPDATE vigil.backup SET warnings = '{\"size deviates 60% from the 7-day average\"}'"
            + " WHERE backup_id = 'appdb-2'");
    rows.backup(
        "old-1",
        "set-0",
        "old",
        "database",
        "PRUNED",
        "2026-10-01T02:00:00Z",
        "2026-10-01T02:01:00Z",
        100,
        70,
        "STANDARD");
    rows.object("old-1", "data", 70, "STANDARD");
    rows.execute(
        "INSERT INTO vigil.backup_set (set_id, plan, status, triggered_by, started_at,"
            + " finished_at, source_count, archived_count) VALUES"
            + " ('set-1', 'nightly', 'COMPLETE', 'schedule nightly', '2026-11-19T02:00:00Z',"
            + " '2026-11-19T02:01:00Z', 1, 1),"
            + " ('set-2', 'nightly', 'PARTIAL', 'cli (ops)', '2026-11-20T02:00:00Z',"
            + " '2026-11-20T02:00:31Z', 2, 1)",
        "INSERT INTO vigil.restore (restore_id, backup_id, source, target_type, target, status,"
            + " started_at, finished_at, duration_millis, validation_passed, failure_type,"
            + " failure_reason, requested_by) VALUES"
            + " ('restore-appdb-1', 'appdb-2', 'appdb', 'postgres', '{}', 'RESTORED',"
            + " '2026-11-20T04:00:00Z', '2026-11-20T04:00:12Z', 12000, true, null, null, 'cli'),"
            + " ('restore-appdb-2', 'appdb-2', 'appdb', 'postgres', '{}', 'FAILED',"
            + " '2026-11-20T05:00:00Z', '2026-11-20T05:00:02Z', 2000, null, 'TARGET_NOT_EMPTY',"
            + " 'target database appdb_copy is not empty: pick an empty one', 'cli')",
        "INSERT INTO vigil.drill (drill_id, plan, status, set_id, triggered_by, started_at,"
            + " finished_at, total_rto_millis, worst_rpo_millis, rto_objective_millis,"
            + " rpo_objective_millis, failures, workflow_id) VALUES"
            + " ('drill-quarterly-1', 'quarterly', 'PASSED', 'set-0', 'schedule quarterly',"
            + " '2026-11-01T03:00:00Z', '2026-11-01T03:02:00Z', 90000, 3600000, 0, 0, '{}',"
            + " 'drill-quarterly-1'),"
            + " ('drill-nightly-1', 'nightly', 'FAILED', 'set-2', 'cli (ops)',"
            + " '2026-11-20T06:00:00Z', '2026-11-20T06:03:00Z', 180000, 14400000, 60000,"
            + " 86400000, '{\"appdb: RTO 180.0 s over objective 60.0 s\"}', 'drill-nightly-1')",
        "INSERT INTO vigil.drill_component (drill_id, position, source, kind, backup_id, status,"
            + " stored_bytes, restore_millis, rto_millis, rpo_millis, rto_objective_millis,"
            + " rpo_objective_millis, validation, failures, passed) VALUES"
            + " ('drill-quarterly-1', 1, 'models', 'model', 'models-1', 'RESTORED', 5000, 50000,"
            + " 60000, 3600000, 0, 0, 'files match the manifest', '{}', true),"
            + " ('drill-quarterly-1', 0, 'appdb', 'database', 'appdb-1', 'RESTORED', 400, 20000,"
            + " 30000, 60000, 0, 0, 'SELECT 1 passed', '{}', true),"
            + " ('drill-nightly-1', 0, 'appdb', 'database', 'appdb-2', 'RESTORED', 800, 170000,"
            + " 180000, 14400000, 60000, 86400000, 'SELECT 1 passed',"
            + " '{\"RTO 180.0 s over objective 60.0 s\"}', false)",
        "INSERT INTO vigil.schedule (name, kind, plan, sources, cron, interval_seconds,"
            + " catchup_window_seconds, mode, temporal_id, applied_at, applied_by) VALUES"
            + " ('quarterly-drill', 'drill', 'quarterly', '{}', '0 3 1 1,4,7,10 *', 7776000,"
            + " 86400, 'CRON', 'drill-quarterly-recurring', '2026-11-01T00:00:00Z', 'cli'),"
            + " ('nightly-backup', 'backup', 'nightly', '{appdb,models}', '0 2 * * *', 86400,"
            + " 3600, 'CRON', 'backup-nightly-recurring', '2026-11-01T00:00:00Z', 'cli')");
    return rows;
  }

  /** Inserts one backup row of repository "main". */
  void backup(
      String backupId,
      String setId,
      String source,
      String kind,
      String status,
      String startedAt,
      String finishedAt,
      long rawBytes,
      long storedBytes,
      String storageClass) {
    execute(
        String.format(
            "INSERT INTO vigil.backup (backup_id, set_id, source, source_type, kind, repository,"
                + " status, started_at, finished_at, consistent_at, raw_bytes, stored_bytes,"
                + " sha256, storage_class, bucket, object_key, workflow_id, triggered_by)"
                + " VALUES ('%1$s', '%2$s', '%3$s', 'postgres', '%4$s', 'main', '%5$s', '%6$s',"
                + " '%7$s', '%6$s', %8$d, %9$d, 'abc123', %10$s, 'vigil-backups',"
                + " '%3$s/%1$s.vgl', 'backup-%1$s', 'schedule nightly')",
            backupId,
            setId,
            source,
            kind,
            status,
            startedAt,
            finishedAt,
            rawBytes,
            storedBytes,
            storageClass == null ? "NULL" : "'" + storageClass + "'"));
  }

  /** Inserts one object of a backup. */
  void object(String backupId, String role, long sizeBytes, String storageClass) {
    execute(
        "INSERT INTO vigil.backup_object (backup_id, role, bucket, object_key, size_bytes,"
            + " storage_class) VALUES ('"
            + backupId
            + "', '"
            + role
            + "', 'vigil-backups', '"
            + backupId
            + "/"
            + role
            + "', "
            + sizeBytes
            + ", '"
            + storageClass
            + "')");
  }

  void execute(String... statements) {
    PostgresFixture.get().execute(database, statements);
  }

  static Instant at(String instant) {
    return Instant.parse(instant);
  }
}
