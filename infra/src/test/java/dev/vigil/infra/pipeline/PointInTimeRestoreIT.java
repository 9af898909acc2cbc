package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vigil.activities.embedded.PostgresCluster;
import dev.vigil.activities.restore.FreshClusters;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.infra.cli.DrillReportPrinter;
import dev.vigil.starter.DrillClient;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.drill.DrillComponent;
import dev.vigil.workflows.drill.DrillReport;
import dev.vigil.workflows.restore.RecoveryTarget;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import io.temporal.client.WorkflowFailedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Point-in-time restores with every real part: a PostgreSQL 15 cluster whose {@code
 * archive_command} runs the packaged {@code vigil wal-push} into S3Mock, a physical base backup
 * through the backup workflow, then rows written and archived after it, restored by {@code
 * RestoreWorkflow} to a time, an LSN and the end of the archive, each into a fresh cluster that
 * replayed the archived WAL.
 *
 * <p>The history, once for the class: base backup; segment switch; row A; time T; row B; switch;
 * row C; switch; all archived.
 */
class PointInTimeRestoreIT {
  private static final String SUPERUSER = PostgresFixture.get().superuser();
  private static final AtomicLong REQUESTED_AT = new AtomicLong(System.currentTimeMillis());

  private static Path dir;
  private static PipelineHarness harness;
  private static PostgresCluster source;
  private static String password;
  private static String backupId;
  private static long backupConsistentAt;
  private static String backupStopSegment;
  private static Instant target;
  private static String lsnAfterA;
  private static String segmentOfA;
  private static String lastSegment;
  private static Instant beforeC;
  private static String pgbenchAtTarget;
  private static String hbaMarker;

  @BeforeAll
  static void archiveABaseBackupAndRowsAfterIt() throws Exception {
    dir = Files.createTempDirectory(Path.of("/tmp"), "vigil-pitr-it-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    harness = new PipelineHarness(Files.createDirectories(dir.resolve("harness")));
    password = "pitr-" + Long.toHexString(System.nanoTime());
    Path passwordFile = dir.resolve("source.password");
    Files.writeString(passwordFile, password);
    Path config = dir.resolve("vigil.yaml");
    Path push = pushScript(config);
    source =
        PostgresCluster.start(
            dir.resolve("source"),
            SUPERUSER,
            password,
            Map.of(
                "wal_level", "replica",
                "archive_mode", "on",
                "archive_command", push + " %p"));
    // The source's own client authentication: a data directory restore must bring it back as is.
    hbaMarker = "# appdb's own pg_hba.conf " + Long.toHexString(System.nanoTime());
    Files.writeString(
        dir.resolve("source/data/pg_hba.conf"),
        "\n" + hbaMarker + "\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.APPEND);
    execute("postgres", "CREATE DATABASE app");
    execute("app", "CREATE TABLE events (id int PRIMARY KEY, body text NOT NULL)");
    execute("app", "INSERT INTO events SELECT g, 'before ' || g FROM generate_series(1, 100) g");
    String yaml =
        harness
                .config(
                    harness.bucket,
                    source.port(),
                    passwordFile.toString(),
                    harness.dir.resolve("models").toString(),
                    harness.spool)
                .replace("    database: " + harness.sourceDb, "    database: app")
                .replace("    type: postgres\n", "    type: postgres\n    mode: physical\n")
            + "drills:\n  pitr-dr:\n    sources: [appdb]\n";
    // wal-push runs as the postgres user: its config names only what it needs, all readable.
    Files.writeString(
        config,
        """
        repositories:
          main:
            endpoint: %s
            bucket: %s
            path-style-access: true
            access-key-id-env: AWS_TEST_ID
            secret-access-key-env: AWS_TEST_SECRET
        encryption:
          key-env: %s
        sources:
          appdb:
            type: postgres
            mode: physical
            host: 127.0.0.1
            port: %d
            database: app
            user: %s
        """
            .formatted(
                harness.s3.endpoint(),
                harness.bucket,
                PipelineHarness.KEY_ENV,
                source.port(),
                SUPERUSER));
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));

    PlanResult plan = harness.run(harness.load(yaml), List.of("appdb"));
    SourceBackupResult backup = plan.results().get(0);
    assertThat(backup.status()).as(backup.failure()).isEqualTo("ARCHIVED");
    backupId = backup.backupId();
    try (Connection catalog = harness.postgres.connect(harness.catalogDb);
        Statement statement = catalog.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT pg_walfile_name(stop_lsn), consistent_at FROM vigil.backup"
                    + " WHERE backup_id = '"
                    + backupId
                    + "'")) {
      row.next();
      // pg_walfile_name runs on the catalog's own server (timeline 1, 16 MiB segments): the same
      // name the source would give.
      backupStopSegment = row.getString(1);
      backupConsistentAt = row.getTimestamp(2).getTime();
    }

    switchSegment();
    // pgbench at full speed while the archiver pushes: its tables and transactions fill several
    // segments between the backup and the target, and its state at the target is known.
    pgbench("-i", "-s", "2", "-q");
    pgbench("-c", "2", "-T", "3", "-n");
    pgbenchAtTarget = query("app", PGBENCH_STATE);
    execute("app", "INSERT INTO events VALUES (1001, 'A')");
    lsnAfterA = query("SELECT pg_current_wal_insert_lsn()::text");
    segmentOfA = query("SELECT pg_walfile_name(pg_current_wal_insert_lsn())");
    Thread.sleep(20);
    // The server's clock, in whole milliseconds (rounded down): A's commit is 20 ms before it.
    target =
        Instant.ofEpochMilli(
            Long.parseLong(
                query("SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint")));
    Thread.sleep(50);
    execute("app", "INSERT INTO events VALUES (1002, 'B')");
    pgbench("-c", "2", "-T", "1", "-n");
    switchSegment();
    beforeC = Instant.now();
    execute("app", "INSERT INTO events VALUES (1003, 'C')");
    lastSegment = switchSegment();
    waitUntilArchived(lastSegment);
  }

  @AfterAll
  static void stop() throws IOException {
    if (harness != null) {
      harness.close();
    }
    if (source != null) {
      source.close();
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  @Test
  void restoreToATimeHasTheRowCommittedBeforeItAndNotTheOneAfter() throws Exception {
    // The target lies in a later segment than the backup's end: replay crosses a switch.
    assertThat(segmentOfA).isGreaterThan(backupStopSegment);

    RestoreResult restored =
        restore(new RestoreSelector("appdb", null, target.toEpochMilli(), null));

    try {
      assertThat(restored.status()).as(restored.failure()).isEqualTo("RESTORED");
      assertThat(restored.backupId()).isEqualTo(backupId);
      assertThat(rows(restored.target())).containsExactly("A");
      // Every pgbench transaction committed before the target, none after it.
      assertThat(query(restored.target(), PGBENCH_STATE)).isEqualTo(pgbenchAtTarget);
      assertThat(query("app", PGBENCH_STATE)).isNotEqualTo(pgbenchAtTarget);
      assertThat(restored.recovered()).isNotNull();
      assertThat(restored.recovered().lastCommitMillis())
          .isLessThanOrEqualTo(target.toEpochMilli())
          .isGreaterThan(backupConsistentAt);
      assertThat(restored.consistentAtMillis()).isEqualTo(restored.recovered().lastCommitMillis());
      assertThat(restored.validation().checks().get(0))
          .startsWith("recovered to ")
          .contains("(last replayed commit), LSN ")
          .contains("target " + target + " reached, not in recovery");
      assertThat(restored.steps().stream().map(StepTiming::step))
          .containsSubsequence("fetch-wal", "download", "restore", "validate");
    } finally {
      FreshClusters.shared().stop(restoreIdOf(restored));
    }
  }

  @Test
  void restoreToAnLsnStopsThere() throws Exception {
    RestoreResult restored =
        restore(new RestoreSelector("appdb", null, 0, RecoveryTarget.lsn(lsnAfterA)));

    try {
      assertThat(restored.status()).as(restored.failure()).isEqualTo("RESTORED");
      assertThat(rows(restored.target())).containsExactly("A");
      assertThat(restored.validation().checks().get(0))
          .contains("target LSN " + lsnAfterA + " reached");
    } finally {
      FreshClusters.shared().stop(restoreIdOf(restored));
    }
  }

  @Test
  void latestReplaysEveryArchivedSegment() throws Exception {
    RestoreResult restored =
        restore(new RestoreSelector("appdb", null, 0, RecoveryTarget.latest()));

    try {
      assertThat(restored.status()).as(restored.failure()).isEqualTo("RESTORED");
      assertThat(rows(restored.target())).containsExactly("A", "B", "C");
      assertThat(restored.recovered().lastCommitMillis())
          .isGreaterThanOrEqualTo(beforeC.toEpochMilli() - 1_000);
      assertThat(restored.validation().checks().get(0))
          .contains("end of the archived WAL (segment " + lastSegment + ") replayed");
    } finally {
      FreshClusters.shared().stop(restoreIdOf(restored));
    }
  }

  @Test
  void backupOnlyStopsAtTheBaseBackupsEnd() throws Exception {
    RestoreResult restored =
        restore(new RestoreSelector("appdb", null, 0, RecoveryTarget.backupOnly()));

    try {
      assertThat(restored.status()).as(restored.failure()).isEqualTo("RESTORED");
      assertThat(rows(restored.target())).isEmpty();
      assertThat(restored.steps().stream().map(StepTiming::step)).doesNotContain("fetch-wal");
    } finally {
      FreshClusters.shared().stop(restoreIdOf(restored));
    }
  }

  @Test
  void aTargetAfterTheLastArchivedCommitIsRefusedBeforeTheDownloadWithTheLastReachableTime()
      throws Exception {
    Instant tooLate = Instant.now().plus(Duration.ofMinutes(5));

    WorkflowFailedException failed =
        refused(new RestoreSelector("appdb", null, tooLate.toEpochMilli(), null));

    assertThat(Failures.type(failed)).isEqualTo("PITR_TARGET_UNREACHABLE");
    String reason = Failures.reason(failed);
    assertThat(reason)
        .contains(
            "source 'appdb': PITR target "
                + Instant.ofEpochMilli(tooLate.toEpochMilli())
                + " is after the last archived transaction (")
        .contains("; the archive ends there. Pick an earlier --at, or --latest")
        .doesNotContain("\n");
    Matcher last =
        Pattern.compile("last archived transaction \\((\\S+) in segment ([0-9A-F]{24})\\)")
            .matcher(reason);
    assertThat(last.find()).as(reason).isTrue();
    // The last commit is C (or a later autovacuum commit), in a segment up to the last archived.
    assertThat(Instant.parse(last.group(1))).isAfterOrEqualTo(beforeC.minusSeconds(1));
    assertThat(last.group(2)).isLessThanOrEqualTo(lastSegment);
    assertThat(failed.getCause().getMessage()).contains("failed at fetch-wal: ");
    assertThat(reason).doesNotContain("Exception");
  }

  @Test
  void anLsnPastTheWrittenWalEndsRecoveryAndIsReportedInOneLine() throws Exception {
    // Inside the last archived segment (so the chain reaches it), but past what was written.
    long start =
        Long.parseLong(lastSegment.substring(8, 16), 16) << 32
            | Long.parseLong(lastSegment.substring(16), 16) * 16L * 1024 * 1024;
    String pastWritten =
        String.format("%X/%X", start >>> 32, (start & 0xFFFFFFFFL) + 16L * 1024 * 1024 - 64);

    WorkflowFailedException failed =
        refused(new RestoreSelector("appdb", null, 0, RecoveryTarget.lsn(pastWritten)));

    assertThat(Failures.type(failed)).isEqualTo("PITR_TARGET_UNREACHABLE");
    assertThat(Failures.reason(failed))
        .contains(
            "source 'appdb': PostgreSQL replayed the archived WAL through segment " + lastSegment)
        .contains("ended recovery before the PITR target LSN " + pastWritten)
        .contains("recovery ended before configured recovery target was reached")
        .doesNotContain("\n");
  }

  @Test
  void aMissingSegmentBeforeTheTargetIsRefusedNamingIt() throws Exception {
    String key = "appdb/wal/00000001/" + segmentOfA + ".vgl";
    String aside = "aside/" + segmentOfA + ".vgl";
    var s3 = harness.s3.client();
    s3.copyObject(
        b ->
            b.sourceBucket(harness.bucket)
                .sourceKey(key)
                .destinationBucket(harness.bucket)
                .destinationKey(aside));
    s3.deleteObject(b -> b.bucket(harness.bucket).key(key));
    try {
      WorkflowFailedException failed =
          refused(new RestoreSelector("appdb", null, target.toEpochMilli(), null));

      assertThat(Failures.type(failed)).isEqualTo("PITR_TARGET_UNREACHABLE");
      assertThat(Failures.reason(failed))
          .contains("source 'appdb': PITR target " + target)
          .contains("replay cannot pass segment " + segmentOfA + ", which is missing")
          .doesNotContain("\n");
    } finally {
      s3.copyObject(
          b ->
              b.sourceBucket(harness.bucket)
                  .sourceKey(aside)
                  .destinationBucket(harness.bucket)
                  .destinationKey(key));
    }
  }

  @Test
  void aDrillOfThePhysicalSourceMeasuresRpoFromTheReplayedWal() throws Exception {
    DrillClient drills =
        new DrillClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    long drillStart = System.currentTimeMillis();

    String drillId = drills.start("pitr-dr", REQUESTED_AT.addAndGet(2_000) + 60_000, "test");
    DrillReport report = drills.await(drillId);

    assertThat(report.failures()).isEmpty();
    DrillComponent appdb = report.components().get(0);
    assertThat(appdb.status()).isEqualTo("RESTORED");
    assertThat(appdb.checks().get(0))
        .startsWith("recovered to ")
        .contains("end of the archived WAL (segment " + lastSegment + ") replayed");
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    DrillReportPrinter.print(
        report, new java.io.PrintStream(printed, true, StandardCharsets.UTF_8));
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("\nappdb: recovered to ")
        .contains("end of the archived WAL (segment " + lastSegment + ") replayed");
    // RPO = drill start - last replayed commit (C or later), not - the base backup's end.
    long sinceC = System.currentTimeMillis() - beforeC.toEpochMilli();
    assertThat(appdb.rpoMillis()).isLessThanOrEqualTo(sinceC + 1_000);
    assertThat(appdb.rpoMillis())
        .isLessThan(
            drillStart - backupConsistentAt - (beforeC.toEpochMilli() - backupConsistentAt) / 2);
  }

  @Test
  void restoreToATimeIntoADataDirectoryLeavesAStoppedPromotedDirectoryTheOperatorStarts()
      throws Exception {
    Path dataDir = harness.spool.resolve("restores/appdb-data");

    RestoreResult restored =
        restore(
            new RestoreSelector("appdb", null, target.toEpochMilli(), null),
            RestoreTarget.directory(dataDir.toString()));

    assertThat(restored.status()).as(restored.failure()).isEqualTo("RESTORED");
    assertThat(restored.target().type()).isEqualTo("data-directory");
    assertThat(restored.target().directory()).isEqualTo(dataDir.toString());
    assertThat(restored.recovered().lastCommitMillis())
        .isLessThanOrEqualTo(target.toEpochMilli())
        .isGreaterThan(backupConsistentAt);
    assertThat(restored.validation().checks().get(0))
        .contains("target " + target + " reached, not in recovery");
    assertThat(restored.steps().stream().map(StepTiming::step))
        .containsSubsequence("check-target", "fetch-wal", "restore", "validate", "stop-server");
    assertThat(restoreRecordType(restored)).isEqualTo("data-directory");
    // Stopped, handed over: no server of Vigil's on it, no staging copy beside it.
    assertThat(dataDir.resolve("postmaster.pid")).doesNotExist();
    assertThat(dataDir.resolve("recovery.signal")).doesNotExist();
    try (Stream<Path> beside = Files.list(dataDir.getParent())) {
      assertThat(beside.map(path -> path.getFileName().toString())).containsExactly("appdb-data");
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir)))
        .isEqualTo("rwx------");
    assertThat(Files.getOwner(dataDir).getName()).isEqualTo("postgres");
    assertThat(Files.readString(dataDir.resolve("pg_hba.conf"))).contains(hbaMarker);
    assertThat(Files.readString(dataDir.resolve("postgresql.auto.conf")))
        .doesNotContain("restore_command")
        .doesNotContain("recovery_target");

    // The operator's own start: their port, their socket, the restored files' configuration.
    Path socket = Files.createTempDirectory(Path.of("/tmp"), "pgsock");
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rwxrwxrwx"));
    int port = dev.vigil.activities.embedded.FreePorts.find();
    Path bin = source.binDir();
    asPostgres(
        bin.resolve("pg_ctl").toString(),
        "-D",
        dataDir.toString(),
        "-o",
        "-p " + port + " -k " + socket + " -c listen_addresses='' -c archive_mode=off",
        "-l",
        socket.resolve("log").toString(),
        "-w",
        "start");
    try {
      List<String> psql =
          List.of(
              bin.resolve("psql").toString(),
              "-X",
              "-tA",
              "-h",
              socket.toString(),
              "-p",
              Integer.toString(port),
              "-U",
              SUPERUSER,
              "-d",
              "app",
              "-c");
      assertThat(asPostgres(append(psql, "SELECT pg_is_in_recovery()")).strip()).isEqualTo("f");
      assertThat(
              asPostgres(append(psql, "SELECT string_agg(body, ',') FROM events WHERE id > 1000"))
                  .strip())
          .isEqualTo("A");
    } finally {
      asPostgres(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-w", "stop");
    }
  }

  @Test
  void backupOnlyIntoADataDirectoryHandsOverTheBaseBackupsEndPoint() throws Exception {
    Path dataDir = harness.spool.resolve("restores/backup-only-data");

    RestoreResult restored =
        restore(
            new RestoreSelector("appdb", null, 0, RecoveryTarget.backupOnly()),
            RestoreTarget.directory(dataDir.toString()));

    assertThat(restored.status()).as(restored.failure()).isEqualTo("RESTORED");
    assertThat(restored.target().type()).isEqualTo("data-directory");
    assertThat(restored.steps().stream().map(StepTiming::step))
        .doesNotContain("fetch-wal")
        .endsWith("validate", "stop-server", "record");
    assertThat(dataDir.resolve("PG_VERSION")).exists();
    assertThat(dataDir.resolve("postmaster.pid")).doesNotExist();
    assertThat(dataDir.resolve("postmaster.opts")).doesNotExist();
    assertThat(Files.readString(dataDir.resolve("pg_hba.conf"))).contains(hbaMarker);
    // Shut down cleanly: the operator's start needs no crash recovery.
    assertThat(asPostgres(source.binDir().resolve("pg_controldata").toString(), dataDir.toString()))
        .contains("Database cluster state:               shut down\n");
  }

  @Test
  void aRecoveryThatFailsLeavesTheDataDirectoryTargetAsItWas() throws Exception {
    Path dataDir = Files.createDirectories(harness.spool.resolve("restores/left-as-it-was"));
    long start =
        Long.parseLong(lastSegment.substring(8, 16), 16) << 32
            | Long.parseLong(lastSegment.substring(16), 16) * 16L * 1024 * 1024;
    String pastWritten =
        String.format("%X/%X", start >>> 32, (start & 0xFFFFFFFFL) + 16L * 1024 * 1024 - 64);

    WorkflowFailedException failed =
        catchThrowableOfType(
            WorkflowFailedException.class,
            () ->
                restore(
                    new RestoreSelector("appdb", null, 0, RecoveryTarget.lsn(pastWritten)),
                    RestoreTarget.directory(dataDir.toString())));

    assertThat(Failures.type(failed)).isEqualTo("PITR_TARGET_UNREACHABLE");
    assertThat(failed.getCause().getMessage()).contains("failed at restore: ");
    // Still the empty directory it was; the staging copy beside it and the server are gone.
    try (Stream<Path> inside = Files.list(dataDir)) {
      assertThat(inside).isEmpty();
    }
    try (Stream<Path> beside = Files.list(dataDir.getParent())) {
      assertThat(beside.map(path -> path.getFileName().toString()))
          .noneMatch(name -> name.contains("left-as-it-was.vigil-staging"));
    }
  }

  @Test
  void aDataDirectoryTargetThatIsInUseOrOutsideTheRootsIsRefusedBeforeTheDownload()
      throws Exception {
    Path inUse = Files.createDirectories(harness.spool.resolve("restores/in-use"));
    Files.writeString(inUse.resolve("postmaster.pid"), "4242\n");
    Path outside = dir.resolve("elsewhere/appdb-data");

    WorkflowFailedException running =
        catchThrowableOfType(
            WorkflowFailedException.class,
            () ->
                restore(
                    new RestoreSelector("appdb", null, target.toEpochMilli(), null),
                    RestoreTarget.directory(inUse.toString())));
    WorkflowFailedException forbidden =
        catchThrowableOfType(
            WorkflowFailedException.class,
            () ->
                restore(
                    new RestoreSelector("appdb", null, target.toEpochMilli(), null),
                    RestoreTarget.directory(outside.toString())));

    assertThat(Failures.type(running)).isEqualTo("TARGET_NOT_EMPTY");
    assertThat(Failures.reason(running))
        .contains("holds " + inUse.resolve("postmaster.pid"))
        .contains("a PostgreSQL server may be running on it")
        .doesNotContain("\n");
    assertThat(running.getCause().getMessage()).contains("failed at check-target: ");
    assertThat(Failures.type(forbidden)).isEqualTo("RESTORE_TARGET_FORBIDDEN");
    assertThat(forbidden.getCause().getMessage()).contains("failed at check-target: ");
    assertThat(inUse.resolve("postmaster.pid")).hasContent("4242\n");
    assertThat(outside.getParent()).doesNotExist();
  }

  private static List<String> append(List<String> command, String last) {
    List<String> full = new java.util.ArrayList<>(command);
    full.add(last);
    return full;
  }

  private static String asPostgres(String... command) throws Exception {
    return asPostgres(List.of(command));
  }

  /** Runs a PostgreSQL tool as the postgres user (the JVM is root here), as an operator would. */
  private static String asPostgres(List<String> command) throws Exception {
    List<String> full = new java.util.ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
    full.addAll(command);
    Process process =
        new ProcessBuilder(full)
            .directory(new java.io.File("/tmp"))
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as(String.join(" ", command) + ": " + output).isZero();
    return output;
  }

  private static String restoreRecordType(RestoreResult result) throws SQLException {
    try (Connection catalog = harness.postgres.connect(harness.catalogDb);
        Statement statement = catalog.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT target_type FROM vigil.restore WHERE status = 'RESTORED'"
                    + " AND target->>'directory' = '"
                    + result.target().directory()
                    + "'")) {
      assertThat(row.next()).isTrue();
      return row.getString(1);
    }
  }

  private static RestoreResult restore(RestoreSelector selector) {
    return restore(selector, new RestoreTarget("fresh-cluster", null, 0, null, null, null, null));
  }

  private static RestoreResult restore(RestoreSelector selector, RestoreTarget into) {
    RestoreClient client =
        new RestoreClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    String id =
        client.start(
            new RestoreRequest(selector, into, false, 1, "pitr-it"), REQUESTED_AT.addAndGet(2_000));
    return client.await(id);
  }

  private static WorkflowFailedException refused(RestoreSelector selector) {
    return catchThrowableOfType(WorkflowFailedException.class, () -> restore(selector));
  }

  private static String restoreIdOf(RestoreResult result) {
    // A fresh cluster lives in <spool>/clusters/<restore-id>/; its password file sits there.
    return Path.of(result.target().passwordFile()).getParent().getFileName().toString();
  }

  /** pgbench's history rows and balances: what its transactions changed. */
  private static final String PGBENCH_STATE =
      "SELECT (SELECT count(*) FROM pgbench_history) || ' transactions, balance '"
          + " || (SELECT sum(abalance) FROM pgbench_accounts)";

  private static void pgbench(String... arguments) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(source.binDir().resolve("pgbench").toString());
    command.addAll(List.of(arguments));
    command.addAll(
        List.of("-h", "127.0.0.1", "-p", Integer.toString(source.port()), "-U", SUPERUSER, "app"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("PGPASSWORD", password);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor()).as(output).isZero();
  }

  private static String query(RestoreTarget target, String sql) throws Exception {
    try (Connection connection = connect(target);
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getString(1);
    }
  }

  private static Connection connect(RestoreTarget target) throws Exception {
    Properties login = new Properties();
    login.setProperty("user", target.user());
    login.setProperty("password", Files.readString(Path.of(target.passwordFile())).strip());
    return DriverManager.getConnection(
        "jdbc:postgresql://" + target.host() + ":" + target.port() + "/app", login);
  }

  private static List<String> rows(RestoreTarget target) throws Exception {
    try (Connection connection = connect(target);
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery("SELECT body FROM events WHERE id > 1000 ORDER BY id")) {
      List<String> bodies = new java.util.ArrayList<>();
      while (rows.next()) {
        bodies.add(rows.getString(1));
      }
      return bodies;
    }
  }

  /** Switches to a new segment; returns the one it closed. */
  private static String switchSegment() throws SQLException {
    return query("SELECT pg_walfile_name(pg_switch_wal())");
  }

  private static void waitUntilArchived(String segment) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofMinutes(4));
    while (true) {
      String last = query("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
      if (last.length() == 24 && last.compareTo(segment) >= 0) {
        return;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(
            "WAL not archived up to "
                + segment
                + ": "
                + query("SELECT row_to_json(a)::text FROM pg_stat_archiver a")
                + "\n"
                + Files.readString(dir.resolve("source/postgres.log")));
      }
      Thread.sleep(250);
    }
  }

  private static String query(String sql) throws SQLException {
    return query("postgres", sql);
  }

  private static String query(String database, String sql) throws SQLException {
    try (Connection connection = connect(database);
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery(sql)) {
      row.next();
      return row.getString(1);
    }
  }

  private static void execute(String database, String sql) throws SQLException {
    try (Connection connection = connect(database);
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    }
  }

  private static Connection connect(String database) throws SQLException {
    Properties login = new Properties();
    login.setProperty("user", SUPERUSER);
    login.setProperty("password", password);
    return DriverManager.getConnection(source.jdbcUrl(database), login);
  }

  /**
   * {@code vigil wal-push} as the archive_command: the packaged CLI (target/ jar and lib/), with
   * the test's own vigil.yaml, key and S3Mock credentials, runnable by the postgres user.
   */
  private static Path pushScript(Path config) throws IOException {
    Path targetDir = Path.of("target").toAbsolutePath();
    Path jar;
    try (Stream<Path> files = Files.list(targetDir)) {
      jar =
          files
              .filter(path -> path.getFileName().toString().matches("vigil-infra-.*\\.jar"))
              .filter(path -> !path.getFileName().toString().contains("tests"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no packaged CLI jar in " + targetDir));
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path script = dir.resolve("wal-push.sh");
    Files.writeString(
        script,
        "#!/bin/sh\n"
            + "export AWS_TEST_ID=test AWS_TEST_SECRET=test-secret "
            + PipelineHarness.KEY_ENV
            + "="
            + PipelineHarness.ENVIRONMENT.apply(PipelineHarness.KEY_ENV)
            + "\nexec "
            + java
            + " -XX:TieredStopAtLevel=1 -cp '"
            + jar
            + ":"
            + targetDir.resolve("lib")
            + "/*' dev.vigil.infra.cli.VigilMain wal-push \"$1\" --config "
            + config
            + " --source appdb\n",
        StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }
}
