package dev.vigil.activities.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.catalog.PostgresCatalog;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.drill.DrillBackup;
import dev.vigil.workflows.drill.DrillComponent;
import dev.vigil.workflows.drill.DrillObjectives;
import dev.vigil.workflows.drill.DrillReport;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Drill reports and backup-set selection against a real catalog in PostgreSQL. */
class DrillCatalogIT {
  private final PostgresFixture postgres = PostgresFixture.get();
  private String database;
  private DrillCatalog catalog;

  @BeforeEach
  void migrate() {
    database = postgres.createDatabase();
    PostgresCatalog backups =
        PostgresCatalog.create(postgres.catalogConfig(database), postgres.password());
    backups.migrate();
    catalog = new DrillCatalog(backups.dataSource());
  }

  @Test
  void theNewestSetWithEverySourceArchivedIsChosenOverANewerPartialOne() {
    set("nightly-1", "2026-11-20 02:00+00", "appdb:ARCHIVED", "models:ARCHIVED");
    set("nightly-2", "2026-11-21 02:00+00", "appdb:ARCHIVED", "models:ARCHIVED");
    set("nightly-3", "2026-11-22 02:00+00", "appdb:ARCHIVED", "models:FAILED");
    set("db-only-4", "2026-11-22 03:00+00", "appdb:ARCHIVED");

    var chosen = catalog.newestCompleteSet(List.of("models", "appdb")).orElseThrow();

    assertThat(chosen.setId()).isEqualTo("nightly-2");
    assertThat(chosen.backups())
        .extracting(DrillBackup::source, DrillBackup::backupId)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("models", "models-nightly-2"),
            org.assertj.core.groups.Tuple.tuple("appdb", "appdb-nightly-2"));
    assertThat(chosen.backups().get(0).consistentAtMillis())
        .isEqualTo(java.time.Instant.parse("2026-11-21T01:00:00Z").toEpochMilli());
    assertThat(catalog.newestCompleteSet(List.of("appdb")).orElseThrow().setId())
        .isEqualTo("db-only-4");
    assertThat(catalog.newestCompleteSet(List.of("appdb", "datasets"))).isEmpty();
  }

  @Test
  void aReportIsRecordedWithItsComponentsAndARetryReplacesIt() {
    DrillReport report =
        report("FAILED", List.of("appdb: RTO 2h 00m exceeds the objective 1h 00m"));

    catalog.record(report, "drill-quarterly-20261122T030000Z", "run-1");
    catalog.record(report, "drill-quarterly-20261122T030000Z", "run-1");

    assertThat(catalog.find(report.drillId())).contains(report);
    assertThat(
            postgres.queryLong(
                database,
                "SELECT count(*) FROM vigil.drill_component WHERE drill_id = '"
                    + report.drillId()
                    + "'"))
        .isEqualTo(2);
    assertThat(catalog.find("drill-other-20261122T030000Z")).isEmpty();
  }

  private static DrillReport report(String status, List<String> failures) {
    return new DrillReport(
        "drill-quarterly-20261122T030000Z",
        "quarterly",
        status,
        "nightly-2",
        "test",
        1_000_000,
        1_090_000,
        90_000,
        7_200_000,
        new DrillObjectives(3_600_000, 86_400_000),
        List.of(
            new DrillComponent(
                "appdb",
                "database",
                "appdb-nightly-2",
                "RESTORED",
                1_000,
                5_000,
                60_000,
                90_000,
                7_200_000,
                60_000,
                86_400_000,
                "passed (2 checks)",
                List.of("customers: 10 rows", "conversations: 100 rows"),
                failures,
                List.of(new StepTiming("download", 1_000_000, 2_000)),
                failures.isEmpty()),
            new DrillComponent(
                "models",
                "model",
                "models-nightly-2",
                "RESTORED",
                2_000,
                2_000,
                30_000,
                40_000,
                3_600_000,
                0,
                0,
                "passed (1 check)",
                List.of("3 files"),
                List.of(),
                List.of(),
                true)),
        failures);
  }

  private void set(String setId, String startedAt, String... backups) {
    postgres.execute(
        database,
        "INSERT INTO vigil.backup_set (set_id, plan, status, started_at) VALUES ('"
            + setId
            + "', 'nightly', 'COMPLETE', '"
            + startedAt
            + "')");
    for (String backup : backups) {
      String source = backup.substring(0, backup.indexOf(':'));
      String status = backup.substring(backup.indexOf(':') + 1);
      postgres.execute(
          database,
          "INSERT INTO vigil.backup (backup_id, set_id, source, source_type, kind, repository,"
              + " status, started_at, consistent_at, stored_bytes, raw_bytes) VALUES ('"
              + source
              + "-"
              + setId
              + "', '"
              + setId
              + "', '"
              + source
              + "', 'postgres', 'database', 'main', '"
              + status
              + "', timestamptz '"
              + startedAt
              + "', timestamptz '"
              + startedAt
              + "' - interval '1 hour', 10, 20)");
    }
  }
}
