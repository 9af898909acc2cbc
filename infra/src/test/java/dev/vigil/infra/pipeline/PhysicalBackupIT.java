package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.restore.FreshClusters;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.starter.DrillClient;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.drill.DrillComponent;
import dev.vigil.workflows.drill.DrillReport;
import dev.vigil.workflows.drill.DrillWorkflowImpl;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Physical base backups with every real part: pg_basebackup of the test cluster, sealed into
 * S3Mock, recorded in the catalog with LSNs and timeline, and restored by {@code RestoreWorkflow}
 * into a fresh cluster started on the restored data directory.
 */
class PhysicalBackupIT {
  private static final String PHYSICAL =
      """
          mode: physical
          validations:
            - name: conversations
              query: "SELECT count(*) FROM conversations"
              expect: "= 5000"
      """;

  /**
   * A base backup copies the whole cluster: a cluster of this class's own holds only its tests'
   * databases, not every database the JVM's shared cluster has collected from earlier tests.
   */
  private static PostgresFixture postgres;

  @TempDir Path dir;

  private PipelineHarness harness;

  @BeforeAll
  static void startCluster() {
    postgres = PostgresFixture.startOwn();
  }

  @AfterAll
  static void stopCluster() {
    if (postgres != null) {
      postgres.stopOwn();
    }
  }

  @AfterEach
  void close() {
    if (harness != null) {
      harness.close();
      // The next test's base backup then copies only its own databases.
      postgres.execute(
          "postgres",
          "DROP DATABASE " + harness.sourceDb + " WITH (FORCE)",
          "DROP DATABASE " + harness.catalogDb + " WITH (FORCE)");
    }
  }

  @Test
  void physicalBackupIsArchivedWithItsLsnsAndRestoresIntoAFreshClusterAsOfBackupTime()
      throws Exception {
    harness = new PipelineHarness(dir, postgres);
    String yaml = physical(harness.config());

    PlanResult plan = harness.run(harness.load(yaml), List.of("appdb"));

    SourceBackupResult backup = plan.results().get(0);
    assertThat(backup.status()).as(backup.failure()).isEqualTo("ARCHIVED");
    assertThat(plan.complete()).isTrue();
    try (Connection catalog = harness.postgres.connect(harness.catalogDb);
        Statement statement = catalog.createStatement();
        ResultSet row =
            statement.executeQuery(
                "SELECT status, format, backup_mode, start_lsn, stop_lsn, timeline,"
                    + " stop_lsn >= start_lsn, backup_started_at <= backup_stopped_at"
                    + " FROM vigil.backup WHERE backup_id = '"
                    + backup.backupId()
                    + "'")) {
      assertThat(row.next()).isTrue();
      assertThat(row.getString("status")).isEqualTo("ARCHIVED");
      assertThat(row.getString("format")).isEqualTo("pg_basebackup-tar");
      assertThat(row.getString("backup_mode")).isEqualTo("physical");
      assertThat(row.getString("start_lsn")).matches("[0-9A-F]+/[0-9A-F]+");
      assertThat(row.getString("stop_lsn")).matches("[0-9A-F]+/[0-9A-F]+");
      assertThat(row.getInt("timeline")).isEqualTo(1);
      assertThat(row.getBoolean(7)).isTrue();
      assertThat(row.getBoolean(8)).isTrue();
    }
    // The manifest (HMAC'd in its object metadata) carries the same LSNs.
    String manifest;
    try (InputStream in =
        harness.s3.client().getObject(b -> b.bucket(harness.bucket).key(backup.manifestKey()))) {
      manifest = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(manifest).contains("\"physical\"").contains("\"startLsn\"").contains("\"timeline\"");
    // Written after the backup: a restore of it must not have this row.
    harness.postgres.execute(
        harness.sourceDb, "INSERT INTO conversations VALUES (900001, now(), 'after the backup')");

    RestoreClient client =
        new RestoreClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    String restoreId =
        client.start(
            new RestoreRequest(
                RestoreSelector.latest("appdb"),
                new RestoreTarget("fresh-cluster", null, 0, null, null, null, null),
                false,
                1,
                "physical-it"),
            System.currentTimeMillis());
    RestoreResult restored = client.await(restoreId);

    try {
      assertThat(restored.status()).as(restored.failure()).isEqualTo("RESTORED");
      assertThat(restored.backupId()).isEqualTo(backup.backupId());
      assertThat(restored.validation().failures()).isEmpty();
      assertThat(restored.validation().checks()).anyMatch(c -> c.startsWith("conversations: 5000"));
      RestoreTarget target = restored.target();
      assertThat(target.port()).isNotEqualTo(harness.postgres.cluster().port());
      Properties login = new Properties();
      login.setProperty("user", target.user());
      login.setProperty("password", Files.readString(Path.of(target.passwordFile())).strip());
      try (Connection connection =
              DriverManager.getConnection(
                  "jdbc:postgresql://"
                      + target.host()
                      + ":"
                      + target.port()
                      + "/"
                      + target.database(),
                  login);
          Statement statement = connection.createStatement();
          ResultSet counts =
              statement.executeQuery(
                  "SELECT count(*), count(*) FILTER (WHERE id = 900001),"
                      + " count(*) FILTER (WHERE body = 'hello 4321') FROM conversations")) {
        counts.next();
        assertThat(counts.getLong(1)).isEqualTo(5000);
        assertThat(counts.getLong(2)).as("row inserted after the backup").isZero();
        assertThat(counts.getLong(3)).isEqualTo(1);
      }
      // The source's password no longer opens the copy over TCP: only Vigil's new one does.
      Properties sourceLogin = new Properties();
      sourceLogin.setProperty("user", target.user());
      sourceLogin.setProperty("password", harness.postgres.password());
      assertThat(
              canConnect(
                  "jdbc:postgresql://" + target.host() + ":" + target.port() + "/postgres",
                  sourceLogin))
          .isFalse();
    } finally {
      FreshClusters.shared().stop(restoreId);
    }
  }

  @Test
  void aDrillRestoresAPhysicalBackupIntoAClusterOfItsOwnAndStopsIt() throws Exception {
    harness = new PipelineHarness(dir, postgres);
    String yaml = physical(harness.config()) + "drills:\n  physical-dr:\n    sources: [appdb]\n";
    PlanResult plan = harness.run(harness.load(yaml), List.of("appdb"));
    assertThat(plan.complete()).isTrue();
    DrillClient drills =
        new DrillClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());

    String drillId = drills.start("physical-dr", System.currentTimeMillis() + 10_000, "test");
    DrillReport report = drills.await(drillId);

    assertThat(report.failures()).isEmpty();
    assertThat(report.status()).isEqualTo(DrillReport.PASSED);
    DrillComponent appdb = report.components().get(0);
    assertThat(appdb.status()).isEqualTo("RESTORED");
    assertThat(appdb.checks()).anyMatch(check -> check.startsWith("conversations: 5000"));
    RestoreTarget target =
        harness
            .workflowClient()
            .newUntypedWorkflowStub(DrillWorkflowImpl.restoreWorkflowId(drillId, "appdb"))
            .getResult(RestoreResult.class)
            .target();
    assertThat(target.type()).isEqualTo("fresh-cluster");
    assertThat(target.port()).isNotEqualTo(harness.postgres.cluster().port());
    assertThat(listening(target.port())).as("the drill's cluster is stopped").isFalse();
  }

  @Test
  void aUserWithoutReplicationIsRefusedOnceNamingThePrivilege() throws Exception {
    harness = new PipelineHarness(dir, postgres);
    String role = "physical_reader";
    String password = "reader-password-5u9";
    harness.postgres.execute(
        harness.sourceDb,
        "DROP ROLE IF EXISTS " + role,
        "CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'");
    Path passwordFile = dir.resolve("reader-password");
    Files.writeString(passwordFile, password);
    String yaml =
        physical(
                harness.config(
                    harness.bucket,
                    harness.postgres.cluster().port(),
                    passwordFile.toString(),
                    dir.resolve("models").toString(),
                    harness.spool))
            .replace(
                "database: " + harness.sourceDb + "\n    user: " + harness.postgres.superuser(),
                "database: " + harness.sourceDb + "\n    user: " + role);

    PlanResult plan = harness.run(harness.load(yaml), List.of("appdb"));

    SourceBackupResult failed = plan.results().get(0);
    assertThat(failed.status()).isEqualTo("FAILED");
    assertThat(failed.failureType()).isEqualTo("DATABASE_PERMISSION_DENIED");
    assertThat(failed.failure())
        .contains(
            "source 'appdb': pg_basebackup at 127.0.0.1:"
                + harness.postgres.cluster().port()
                + " as user '"
                + role
                + "' needs the REPLICATION privilege (")
        .contains("superuser or replication role")
        .endsWith("); run ALTER ROLE " + role + " REPLICATION, or use a superuser")
        .doesNotContain("\n")
        .doesNotContain(password);
    // No retry grants a privilege.
    assertThat(harness.attempts("backup-" + failed.backupId(), "Dump")).isEqualTo(1);
  }

  private static String physical(String yaml) {
    return yaml.replace("    type: postgres\n", "    type: postgres\n" + PHYSICAL);
  }

  private static boolean listening(int port) {
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1_000);
      return true;
    } catch (java.io.IOException refused) {
      return false;
    }
  }

  private static boolean canConnect(String url, Properties login) {
    try (Connection ignored = DriverManager.getConnection(url, login)) {
      return true;
    } catch (java.sql.SQLException refused) {
      return false;
    }
  }
}
