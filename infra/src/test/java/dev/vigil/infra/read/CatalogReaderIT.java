package dev.vigil.infra.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.starter.read.BackupQuery;
import dev.vigil.starter.read.BackupSetView;
import dev.vigil.starter.read.BackupView;
import dev.vigil.starter.read.CatalogReadException;
import dev.vigil.starter.read.CatalogReader;
import dev.vigil.starter.read.DrillComponentView;
import dev.vigil.starter.read.DrillView;
import dev.vigil.starter.read.RestoreView;
import dev.vigil.starter.read.StorageUsage;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** The catalog's read views over a real PostgreSQL migrated by the real Flyway migrations. */
class CatalogReaderIT {
  private static CatalogRows rows;
  private static CatalogReader reader;

  @BeforeAll
  static void catalog() {
    rows = CatalogRows.withHistory();
    reader = rows.reader;
  }

  @Test
  void backupsAreNewestFirstAndFilterBySourceStatusAndSince() {
    assertThat(reader.backups(BackupQuery.all(0)))
        .extracting(BackupView::backupId)
        .containsExactly("models-2", "appdb-2", "appdb-1", "models-1", "old-1");
    assertThat(reader.backups(new BackupQuery("appdb", null, null, 0)))
        .extracting(BackupView::backupId)
        .containsExactly("appdb-2", "appdb-1");
    assertThat(reader.backups(new BackupQuery(null, "ARCHIVED", null, 2)))
        .extracting(BackupView::backupId)
        .containsExactly("appdb-2", "appdb-1");
    assertThat(
            reader.backups(new BackupQuery(null, null, CatalogRows.at("2026-11-19T12:00:00Z"), 0)))
        .extracting(BackupView::backupId)
        .containsExactly("models-2", "appdb-2");
  }

  @Test
  void oneBackupHasEveryField() {
    BackupView backup = reader.backup("appdb-2").orElseThrow();

    assertThat(backup.setId()).isEqualTo("set-2");
    assertThat(backup.source()).isEqualTo("appdb");
    assertThat(backup.kind()).isEqualTo("database");
    assertThat(backup.repository()).isEqualTo("main");
    assertThat(backup.status()).isEqualTo("ARCHIVED");
    assertThat(backup.startedAt()).isEqualTo(CatalogRows.at("2026-11-20T02:00:00Z"));
    assertThat(backup.finishedAt()).isEqualTo(CatalogRows.at("2026-11-20T02:00:30Z"));
    assertThat(backup.consistentAt()).isEqualTo(CatalogRows.at("2026-11-20T02:00:00Z"));
    assertThat(backup.rawBytes()).isEqualTo(2000);
    assertThat(backup.storedBytes()).isEqualTo(800);
    assertThat(backup.storageClass()).isEqualTo("STANDARD");
    assertThat(backup.objectKey()).isEqualTo("appdb/appdb-2.vgl");
    assertThat(backup.warnings()).containsExactly("size deviates 60% from the 7-day average");
    assertThat(backup.workflowId()).isEqualTo("backup-appdb-2");
    assertThat(backup.triggeredBy()).isEqualTo("schedule nightly");
    assertThat(reader.backup("models-2").orElseThrow().failureType())
        .isEqualTo("SOURCE_UNREACHABLE");
    assertThat(reader.backup("nope")).isEmpty();
  }

  @Test
  void backupSetsAndLatestBackupPerSource() {
    assertThat(reader.backupSets("nightly", 10))
        .extracting(BackupSetView::setId, BackupSetView::status, BackupSetView::archivedCount)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("set-2", "PARTIAL", 1),
            org.assertj.core.groups.Tuple.tuple("set-1", "COMPLETE", 1));
    assertThat(reader.backupSets("other", 10)).isEmpty();
    assertThat(reader.latestBackups("ARCHIVED", null))
        .extracting(BackupView::backupId)
        .containsExactly("appdb-2", "models-1");
    assertThat(reader.latestBackups(null, CatalogRows.at("2026-11-20T00:00:00Z")))
        .extracting(BackupView::backupId)
        .containsExactly("appdb-1", "models-1", "old-1");
  }

  @Test
  void drillsComeWithTheirComponentsInOrder() {
    List<DrillView> drills = reader.drills(null, 10);

    assertThat(drills)
        .extracting(DrillView::drillId)
        .containsExactly("drill-nightly-1", "drill-quarterly-1");
    DrillView quarterly = reader.latestDrill("quarterly").orElseThrow();
    assertThat(quarterly.status()).isEqualTo("PASSED");
    assertThat(quarterly.totalRtoMillis()).isEqualTo(90000);
    assertThat(quarterly.components())
        .extracting(DrillComponentView::source, DrillComponentView::passed)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("appdb", true),
            org.assertj.core.groups.Tuple.tuple("models", true));
    DrillView nightly = reader.latestDrill(null).orElseThrow();
    assertThat(nightly.drillId()).isEqualTo("drill-nightly-1");
    assertThat(nightly.failures()).containsExactly("appdb: RTO 180.0 s over objective 60.0 s");
    assertThat(nightly.components().get(0).rtoObjectiveMillis()).isEqualTo(60000);
    assertThat(reader.latestDrills())
        .extracting(DrillView::plan)
        .containsExactly("nightly", "quarterly");
    assertThat(reader.latestDrill("none")).isEmpty();
  }

  @Test
  void restoresAndSchedules() {
    List<RestoreView> restores = reader.restores("appdb", null, null, 0);

    assertThat(restores)
        .extracting(RestoreView::restoreId)
        .containsExactly("restore-appdb-2", "restore-appdb-1");
    assertThat(restores.get(0).validationPassed()).isNull();
    assertThat(restores.get(0).failureType()).isEqualTo("TARGET_NOT_EMPTY");
    assertThat(restores.get(1).validationPassed()).isTrue();
    assertThat(reader.schedules()).hasSize(2);
    assertThat(reader.schedules().get(0).definition().sources()).containsExactly("appdb", "models");
  }

  @Test
  void storageCountsArchivedObjectsPerRepositoryAndClassPrunedExcluded() {
    assertThat(reader.storageUsage())
        .containsExactly(
            new StorageUsage("main", "GLACIER", 1, 1, 5000),
            new StorageUsage("main", "STANDARD", 3, 5, 400 + 50 + 800 + 50 + 40));
  }

  @Test
  void connectionsAreReadOnly() {
    AtomicBoolean readOnly = new AtomicBoolean();
    DataSource spy =
        new PGSimpleDataSource() {
          @Override
          public Connection getConnection() throws SQLException {
            Connection connection = rows.dataSource.getConnection();
            return (Connection)
                java.lang.reflect.Proxy.newProxyInstance(
                    Connection.class.getClassLoader(),
                    new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                      if (method.getName().equals("prepareStatement")) {
                        readOnly.set(connection.isReadOnly());
                      }
                      return method.invoke(connection, args);
                    });
          }
        };

    new CatalogReader(spy).backups(BackupQuery.all(1));

    assertThat(readOnly).isTrue();
  }

  @Test
  void unmigratedCatalogSaysWhatToDo() {
    PGSimpleDataSource nowhere = new PGSimpleDataSource();
    nowhere.setURL("jdbc:postgresql://127.0.0.1:1/none");
    nowhere.setConnectTimeout(2);

    assertThatThrownBy(() -> new CatalogReader(nowhere).backups(BackupQuery.all(1)))
        .isInstanceOf(CatalogReadException.class)
        .hasMessageStartingWith("catalog: listing backups failed (")
        .hasMessageContaining("check that the catalog database is up");
  }
}
