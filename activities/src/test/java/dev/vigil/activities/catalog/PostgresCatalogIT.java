package dev.vigil.activities.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.CatalogConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.workflows.backup.ArchiveRequest;
import dev.vigil.workflows.backup.BackupSetRequest;
import dev.vigil.workflows.backup.BackupStart;
import dev.vigil.workflows.backup.DumpResult;
import dev.vigil.workflows.backup.FailRequest;
import dev.vigil.workflows.backup.SealResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.backup.UploadResult;
import dev.vigil.workflows.backup.UploadVerification;
import dev.vigil.workflows.common.ErrorType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The catalog against a real PostgreSQL: transitions, idempotence and failures. */
final class PostgresCatalogIT {
  private static final SourceRef APPDB = new SourceRef("appdb", "postgres", "database", "main");
  private static final SourceRef MODELS = new SourceRef("models", "directory", "model", "main");
  private static final long T0 = Instant.parse("2026-11-20T02:00:00Z").toEpochMilli();
  private static final String SHA = "ab".repeat(32);
  private static final String OTHER_SHA = "cd".repeat(32);

  private static PostgresFixture postgres;

  private String database;
  private PostgresCatalog catalog;

  @BeforeAll
  static void startPostgres() {
    postgres = PostgresFixture.get();
  }

  @BeforeEach
  void freshCatalog() {
    database = postgres.createDatabase();
    catalog = PostgresCatalog.create(postgres.catalogConfig(database), postgres.password());
    catalog.migrate();
  }

  @Test
  void migratingTwiceIsHarmless() throws Exception {
    catalog.migrate();
    String applied =
        "SELECT count(*) FROM vigil.flyway_schema_history WHERE type = 'SQL' AND success";
    String tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'vigil'";
    long appliedOnce = postgres.queryLong(database, applied);
    long tablesOnce = postgres.queryLong(database, tables);

    PostgresCatalog.create(postgres.catalogConfig(database), postgres.password()).migrate();

    long migrations;
    try (var files = Files.list(Path.of("src/main/resources/db/migration"))) {
      migrations =
          files.filter(file -> file.getFileName().toString().matches("V\\d+__.*\\.sql")).count();
    }
    assertThat(appliedOnce).as("every migration applied").isEqualTo(migrations);
    assertThat(postgres.queryLong(database, applied)).isEqualTo(appliedOnce);
    assertThat(postgres.queryLong(database, tables))
        .isEqualTo(tablesOnce)
        .isGreaterThanOrEqualTo(4);
    assertThat(
            postgres.queryLong(
                database,
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'vigil' AND"
                    + " table_name IN ('backup', 'backup_object', 'backup_set')"))
        .isEqualTo(3);
  }

  @Test
  void beginThenMarkArchivedRecordsEveryFigure() {
    catalog.beginBackup(start("b1", APPDB, T0));

    catalog.markArchived(archive("b1", 3_000, T0 + 1_000, SHA));

    BackupRecord record = catalog.find("b1").orElseThrow();
    assertThat(record.status()).isEqualTo("ARCHIVED");
    assertThat(record.setId()).isEqualTo("set-1");
    assertThat(record.source()).isEqualTo("appdb");
    assertThat(record.sourceType()).isEqualTo("postgres");
    assertThat(record.kind()).isEqualTo("database");
    assertThat(record.repository()).isEqualTo("main");
    assertThat(record.startedAt()).isEqualTo(Instant.ofEpochMilli(T0));
    assertThat(record.finishedAt()).isNotNull();
    assertThat(record.consistentAt()).isEqualTo(Instant.ofEpochMilli(T0 + 1_000));
    assertThat(record.rawBytes()).isEqualTo(3_000);
    assertThat(record.storedBytes()).isEqualTo(1_000);
    assertThat(record.sha256()).isEqualTo(SHA);
    assertThat(record.compression()).isEqualTo("zstd");
    assertThat(record.encryption()).isEqualTo("AES256_GCM_HKDF_1MB");
    assertThat(record.keyId()).isEqualTo("key-2026");
    assertThat(record.bucket()).isEqualTo("vigil-backups");
    assertThat(record.objectKey()).isEqualTo("appdb/b1.vgl");
    assertThat(record.manifestKey()).isEqualTo("appdb/b1.manifest.json");
    assertThat(record.storageClass()).isEqualTo("STANDARD_IA");
    assertThat(record.format()).isEqualTo("pg_dump-custom");
    assertThat(record.toolVersion()).isEqualTo("pg_dump (PostgreSQL) 15.14");
    assertThat(record.serverVersion()).isEqualTo("15.14");
    assertThat(record.warnings()).containsExactly("table public.log has no primary key");
    assertThat(record.failureType()).isNull();
    assertThat(record.failureReason()).isNull();
    assertThat(record.workflowId()).isEqualTo("backup-b1");
    assertThat(record.runId()).isEqualTo("run-b1");
    assertThat(record.hostId()).isEqualTo("host-a");
    assertThat(record.triggeredBy()).isEqualTo("schedule");
  }

  @Test
  void markArchivedRecordsTheDataAndManifestObjects() throws Exception {
    catalog.beginBackup(start("b1", APPDB, T0));

    catalog.markArchived(archive("b1", 3_000, T0 + 1_000, SHA));

    assertThat(objects("b1"))
        .containsExactly(
            "data vigil-backups appdb/b1.vgl 1000 " + SHA + " STANDARD_IA",
            "manifest vigil-backups appdb/b1.manifest.json null null STANDARD_IA");
  }

  @Test
  void markArchivedTwiceIsANoOp() throws Exception {
    catalog.beginBackup(start("b1", APPDB, T0));
    catalog.markArchived(archive("b1", 3_000, T0 + 1_000, SHA));
    BackupRecord first = catalog.find("b1").orElseThrow();

    catalog.markArchived(archive("b1", 9_000, T0 + 5_000, OTHER_SHA));

    assertThat(catalog.find("b1")).contains(first);
    assertThat(objects("b1")).allSatisfy(row -> assertThat(row).doesNotContain(OTHER_SHA));
  }

  @Test
  void anotherRunWithTheSameBackupIdIsRefusedAndNeverTakesTheBackupOver() {
    catalog.beginBackup(start("b1", APPDB, T0));
    catalog.markArchived(archive("b1", 3_000, T0 + 1_000, SHA));
    BackupStart other =
        new BackupStart(
            "b1", "set-2", APPDB, "backup-b1", "another-run", "host-b", "api", T0 + 500);

    assertThatThrownBy(() -> catalog.beginBackup(other))
        .isInstanceOf(VigilException.class)
        .hasMessage(
            "catalog: backup id b1 is already taken by another run (workflow backup-b1,"
                + " ARCHIVED); backup ids are to the second, start the backup again")
        .extracting(e -> ((VigilException) e).type())
        .isEqualTo(ErrorType.DUPLICATE_RUN);
    BackupRecord record = catalog.find("b1").orElseThrow();
    assertThat(record.status()).isEqualTo("ARCHIVED");
    assertThat(record.setId()).isEqualTo("set-1");
  }

  @Test
  void aRefusedRunsFailureNeverFailsTheRunThatHoldsTheId() {
    catalog.beginBackup(start("b1", APPDB, T0));

    boolean moved =
        catalog.markFailed(
            new FailRequest("b1", "DUPLICATE_RUN", "begin: taken", "begin"), "another-run");

    assertThat(moved).isFalse();
    assertThat(catalog.find("b1").orElseThrow().status()).isEqualTo("RUNNING");
    assertThat(catalog.markFailed(new FailRequest("b1", "DUMP_FAILED", "own"), "run-b1")).isTrue();
    assertThat(catalog.find("b1").orElseThrow().status()).isEqualTo("FAILED");
  }

  @Test
  void beginBackupTwiceKeepsTheFirstStart() {
    catalog.beginBackup(start("b1", APPDB, T0));
    catalog.markArchived(archive("b1", 3_000, T0 + 1_000, SHA));

    catalog.beginBackup(start("b1", APPDB, T0 + 60_000));

    BackupRecord record = catalog.find("b1").orElseThrow();
    assertThat(record.status()).isEqualTo("ARCHIVED");
    assertThat(record.startedAt()).isEqualTo(Instant.ofEpochMilli(T0));
  }

  @Test
  void beginThenMarkFailedRecordsTheReason() {
    catalog.beginBackup(start("b1", APPDB, T0));

    boolean moved =
        catalog.markFailed(
            new FailRequest("b1", "SOURCE_UNREACHABLE", "source 'appdb': cannot connect", "dump"));

    assertThat(moved).isTrue();
    BackupRecord record = catalog.find("b1").orElseThrow();
    assertThat(record.status()).isEqualTo("FAILED");
    assertThat(record.failureType()).isEqualTo("SOURCE_UNREACHABLE");
    assertThat(record.failureReason()).isEqualTo("source 'appdb': cannot connect");
    assertThat(record.finishedAt()).isNotNull();
  }

  @Test
  void markFailedAfterArchivedLeavesItArchived() {
    catalog.beginBackup(start("b1", APPDB, T0));
    catalog.markArchived(archive("b1", 3_000, T0 + 1_000, SHA));
    BackupRecord archived = catalog.find("b1").orElseThrow();

    boolean moved = catalog.markFailed(new FailRequest("b1", "DUMP_FAILED", "late failure report"));

    assertThat(moved).isFalse();
    assertThat(catalog.find("b1")).contains(archived);
  }

  @Test
  void markFailedTwiceKeepsTheFirstReason() {
    catalog.beginBackup(start("b1", APPDB, T0));
    assertThat(catalog.markFailed(new FailRequest("b1", "DUMP_FAILED", "first"))).isTrue();

    boolean movedAgain = catalog.markFailed(new FailRequest("b1", "SPOOL_FULL", "second"));

    // False tells the caller not to count the failure a second time.
    assertThat(movedAgain).isFalse();
    assertThat(catalog.find("b1").orElseThrow().failureReason()).isEqualTo("first");
  }

  @Test
  void failedBackupCanStillBeArchivedAndDropsItsFailure() {
    catalog.beginBackup(start("b1", APPDB, T0));
    catalog.markFailed(new FailRequest("b1", "CATALOG_UNAVAILABLE", "lost reply"));

    catalog.markArchived(archive("b1", 3_000, T0 + 1_000, SHA));

    BackupRecord record = catalog.find("b1").orElseThrow();
    assertThat(record.status()).isEqualTo("ARCHIVED");
    assertThat(record.failureType()).isNull();
    assertThat(record.failureReason()).isNull();
  }

  @Test
  void archivingAPrunedBackupIsACatalogConflict() {
    catalog.beginBackup(start("b1", APPDB, T0));
    postgres.execute(database, "UPDATE vigil.backup SET status = 'PRUNED' WHERE backup_id = 'b1'");

    assertThatThrownBy(() -> catalog.markArchived(archive("b1", 3_000, T0 + 1_000, SHA)))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.CATALOG_CONFLICT);
              assertThat(e.getMessage()).contains("b1", "PRUNED");
            });
    assertThat(catalog.find("b1").orElseThrow().status()).isEqualTo("PRUNED");
  }

  @Test
  void archivingABackupThatWasNeverStartedIsACatalogConflict() {
    assertThatThrownBy(() -> catalog.markArchived(archive("ghost", 3_000, T0, SHA)))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.CATALOG_CONFLICT));
  }

  @Test
  void previousArchivedRawBytesIsTheNewestArchivedBackupOfTheSourceOtherThanTheGivenOne() {
    archived("old", APPDB, 100, T0);
    archived("newer", APPDB, 200, T0 + 3_600_000);
    archived("other-source", MODELS, 999, T0 + 7_200_000);
    catalog.beginBackup(start("failed", APPDB, T0 + 7_200_000));
    catalog.markFailed(new FailRequest("failed", "DUMP_FAILED", "broken"));
    catalog.beginBackup(start("current", APPDB, T0 + 10_800_000));

    assertThat(catalog.previousArchivedRawBytes("appdb", "current")).hasValue(200);
    assertThat(catalog.previousArchivedRawBytes("appdb", "newer")).hasValue(100);
    assertThat(catalog.previousArchivedRawBytes("appdb", null)).hasValue(200);
    assertThat(catalog.previousArchivedRawBytes("unknown", "current"))
        .isEqualTo(OptionalLong.empty());
  }

  @Test
  void recordBackupSetUpsertsTheSetAndLinksItsBackups() throws Exception {
    catalog.beginBackup(startInSet("b1", null, APPDB, T0));
    catalog.beginBackup(startInSet("b2", null, MODELS, T0));
    catalog.markArchived(archive("b1", 3_000, T0 + 1_000, SHA));
    catalog.markFailed(new FailRequest("b2", "SOURCE_NOT_FOUND", "no such directory"));
    BackupSetRequest set =
        new BackupSetRequest(
            "set-9",
            "nightly",
            "schedule",
            T0,
            T0 + 60_000,
            List.of(
                new SourceBackupResult(
                    "b1",
                    APPDB,
                    "ARCHIVED",
                    3_000,
                    1_000,
                    SHA,
                    "vigil-backups",
                    "appdb/b1.vgl",
                    "appdb/b1.manifest.json",
                    "STANDARD_IA",
                    "zstd",
                    T0 + 1_000,
                    List.of(),
                    List.of(),
                    null,
                    null),
                SourceBackupResult.failed("b2", MODELS, "SOURCE_NOT_FOUND", "no such directory")));

    catalog.recordBackupSet(set, "RUNNING", null);
    catalog.recordBackupSet(set, "PARTIAL", "sets/set-9.json");

    assertThat(catalog.find("b1").orElseThrow().setId()).isEqualTo("set-9");
    assertThat(catalog.find("b2").orElseThrow().setId()).isEqualTo("set-9");
    assertThat(backupSet("set-9"))
        .containsEntry("plan", "nightly")
        .containsEntry("status", "PARTIAL")
        .containsEntry("manifest_key", "sets/set-9.json")
        .containsEntry("triggered_by", "schedule")
        .containsEntry("source_count", "2")
        .containsEntry("archived_count", "1");
    assertThat(postgres.queryLong(database, "SELECT count(*) FROM vigil.backup_set")).isEqualTo(1);
  }

  @Test
  void aSetNeverTakesABackupAnotherSetRan() {
    // Plan runs "a" and "b" took source appdb in the same second: "a" ran backup appdb-T, "b" was
    // refused with DUPLICATE_RUN and records its set last.
    catalog.beginBackup(startInSet("appdb-T", "a-T", APPDB, T0));
    catalog.markArchived(archive("appdb-T", 3_000, T0 + 1_000, SHA));
    SourceBackupResult ran =
        new SourceBackupResult(
            "appdb-T",
            APPDB,
            "ARCHIVED",
            3_000,
            1_000,
            SHA,
            "b",
            "k",
            "m",
            null,
            "zstd",
            T0,
            List.of(),
            List.of(),
            null,
            null);
    SourceBackupResult duplicate =
        SourceBackupResult.failed("appdb-T", APPDB, "DUPLICATE_RUN", "belongs to another run");
    catalog.recordBackupSet(
        new BackupSetRequest("a-T", "a", "test", T0, T0 + 2_000, List.of(ran)), "COMPLETE", "a");
    catalog.recordBackupSet(
        new BackupSetRequest("b-T", "b", "test", T0, T0 + 3_000, List.of(duplicate)),
        "FAILED",
        null);
    // Even a request that claims the backup as its own does not move it.
    catalog.recordBackupSet(
        new BackupSetRequest("c-T", "c", "test", T0, T0 + 4_000, List.of(ran)), "COMPLETE", "c");

    assertThat(catalog.find("appdb-T").orElseThrow().setId()).isEqualTo("a-T");
  }

  @Test
  void listReturnsNewestFirstAndFiltersBySource() {
    archived("a1", APPDB, 100, T0);
    archived("m1", MODELS, 100, T0 + 1_000);
    archived("a2", APPDB, 100, T0 + 2_000);

    assertThat(catalog.list(null))
        .extracting(BackupRecord::backupId)
        .containsExactly("a2", "m1", "a1");
    assertThat(catalog.list("appdb"))
        .extracting(BackupRecord::backupId)
        .containsExactly("a2", "a1");
    assertThat(catalog.list("nobody")).isEmpty();
    assertThat(catalog.find("nothing")).isEmpty();
  }

  @Test
  void unreachableCatalogFailsAsCatalogUnavailable() {
    int closedPort = FreePorts.find();
    PostgresCatalog unreachable =
        PostgresCatalog.create(
            new CatalogConfig(
                "jdbc:postgresql://127.0.0.1:" + closedPort + "/vigil?password=in-url",
                "vigil",
                SecretRef.NONE),
            "secret-password");

    assertThatThrownBy(unreachable::migrate)
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.CATALOG_UNAVAILABLE);
              assertThat(e.getMessage())
                  .contains("127.0.0.1:" + closedPort, "catalog.jdbc-url")
                  .doesNotContain("in-url")
                  .doesNotContain("secret-password");
            });
    assertThatThrownBy(() -> unreachable.beginBackup(start("b1", APPDB, T0)))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.type()).isEqualTo(ErrorType.CATALOG_UNAVAILABLE));
    assertThatThrownBy(() -> unreachable.list(null))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.type()).isEqualTo(ErrorType.CATALOG_UNAVAILABLE));
  }

  @Test
  void wrongCatalogPasswordFailsAsCatalogUnavailableWithoutRevealingIt() {
    PostgresCatalog refused =
        PostgresCatalog.create(postgres.catalogConfig(database), "not-the-password");

    assertThatThrownBy(() -> refused.find("b1"))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.CATALOG_UNAVAILABLE);
              assertThat(e.getMessage())
                  .contains("password authentication failed")
                  .doesNotContain("not-the-password");
            });
  }

  private void archived(String backupId, SourceRef source, long rawBytes, long consistentAt) {
    catalog.beginBackup(start(backupId, source, consistentAt - 1_000));
    catalog.markArchived(archive(backupId, rawBytes, consistentAt, SHA));
  }

  private static BackupStart start(String backupId, SourceRef source, long startedAt) {
    return startInSet(backupId, "set-1", source, startedAt);
  }

  private static BackupStart startInSet(
      String backupId, String setId, SourceRef source, long startedAt) {
    return new BackupStart(
        backupId,
        setId,
        source,
        "backup-" + backupId,
        "run-" + backupId,
        "host-a",
        "schedule",
        startedAt);
  }

  private static ArchiveRequest archive(
      String backupId, long rawBytes, long consistentAt, String sha256) {
    long storedBytes = rawBytes / 3;
    return new ArchiveRequest(
        backupId,
        new DumpResult(
            backupId,
            "/spool/" + backupId,
            "pg_dump-custom",
            rawBytes,
            5,
            51_234,
            consistentAt,
            "pg_dump (PostgreSQL) 15.14",
            "15.14"),
        new SealResult(
            backupId, rawBytes, storedBytes, sha256, "zstd", "AES256_GCM_HKDF_1MB", "key-2026"),
        new UploadResult(
            "vigil-backups",
            "appdb/" + backupId + ".vgl",
            "appdb/" + backupId + ".manifest.json",
            "STANDARD_IA",
            storedBytes,
            1,
            0),
        new UploadVerification(storedBytes, sha256, "STANDARD_IA", "sha256"),
        List.of("table public.log has no primary key"));
  }

  private List<String> objects(String backupId) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection connection = postgres.connect(database);
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT role, bucket, object_key, size_bytes, sha256, storage_class"
                    + " FROM vigil.backup_object WHERE backup_id = '"
                    + backupId
                    + "' ORDER BY role")) {
      while (row.next()) {
        rows.add(
            String.join(
                " ",
                row.getString(1),
                row.getString(2),
                row.getString(3),
                String.valueOf(row.getObject(4)),
                String.valueOf(row.getString(5)),
                row.getString(6)));
      }
    }
    return rows;
  }

  private Map<String, String> backupSet(String setId) throws Exception {
    Map<String, String> columns = new TreeMap<>();
    try (Connection connection = postgres.connect(database);
        Statement statement = connection.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT * FROM vigil.backup_set WHERE set_id = '" + setId + "'")) {
      assertThat(row.next()).as("backup set %s exists", setId).isTrue();
      for (int column = 1; column <= row.getMetaData().getColumnCount(); column++) {
        columns.put(row.getMetaData().getColumnName(column), row.getString(column));
      }
    }
    return columns;
  }
}
