package dev.vigil.infra.cli;

import static dev.vigil.infra.cli.ReadCommandsIT.vigil;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.catalog.PostgresCatalog;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.infra.embedded.EmbeddedTemporal;
import dev.vigil.worker.VigilWorker;
import dev.vigil.workflows.backup.BackupStart;
import dev.vigil.workflows.backup.SourceRef;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code vigil repair} on a Temporal server that lost its runs (a fresh test server, as after a
 * restart of the embedded stack): a dry run changes nothing, a real run resolves the orphan.
 */
class RepairCommandIT {
  private static final String BACKUP_ID = "models-20261203T010000Z";

  @TempDir Path dir;

  private final PostgresFixture postgres = PostgresFixture.get();
  private final S3MockFixture s3 = S3MockFixture.get();
  private PostgresCatalog catalog;
  private String bucket;
  private Path left;
  private EmbeddedTemporal temporal;
  private Path config;

  /** A backup left RUNNING, half of it in the store and its spool on this host; Temporal empty. */
  @BeforeEach
  void orphan() throws Exception {
    String catalogDb = postgres.createDatabase();
    bucket = s3.newBucket("repair");
    Path spool = Files.createDirectories(dir.resolve("spool"));
    Files.write(dir.resolve("vigil.key"), Base64.getEncoder().encode(new byte[32]));
    catalog = PostgresCatalog.create(postgres.catalogConfig(catalogDb), postgres.password());
    catalog.migrate();
    catalog.beginBackup(
        new BackupStart(
            BACKUP_ID,
            null,
            new SourceRef("models", "directory", "model", "main"),
            "backup-" + BACKUP_ID,
            "run-1",
            "repair-host",
            "test",
            System.currentTimeMillis()));
    s3.client()
        .putObject(
            r -> r.bucket(bucket).key("vigil/models/" + BACKUP_ID + "/data.vgl"),
            RequestBody.fromString("half a backup"));
    left = Files.createDirectories(spool.resolve(BACKUP_ID));
    Files.writeString(left.resolve("data.vgl"), "sealed");
    temporal = EmbeddedTemporal.start();
    config = dir.resolve("vigil.yaml");
    Files.writeString(
        config,
        """
        temporal:
          target: %s
        worker:
          host-id: repair-host
          spool-dir: %s
          sticky-execution: false
        metrics:
          port: 0
        catalog:
          jdbc-url: %s
          user: %s
          password-file: %s
        repositories:
          main:
            endpoint: %s
            bucket: %s
            prefix: vigil
            path-style-access: true
        encryption:
          key-file: vigil.key
        sources:
          models:
            type: directory
            kind: model
            path: .
        """
            .formatted(
                temporal.target(),
                spool,
                postgres.cluster().jdbcUrl(catalogDb),
                postgres.superuser(),
                postgres.passwordFile(),
                s3.endpoint(),
                bucket));
  }

  @AfterEach
  void stopTemporal() {
    temporal.close();
  }

  @Test
  void repairResolvesABackupWhoseRunTemporalLostAndDryRunChangesNothing() {
    ReadCommandsIT.Run dry = vigil("repair", "--config", config.toString(), "--dry-run");

    assertThat(dry.exit()).as(dry.err()).isZero();
    assertThat(dry.out())
        .contains(
            "would resolve "
                + BACKUP_ID
                + " (source models, host repair-host): run backup-"
                + BACKUP_ID
                + " is no longer known to Temporal")
        .contains("dry run: 1 orphaned backup to resolve");
    assertThat(catalog.find(BACKUP_ID).orElseThrow().status()).isEqualTo("RUNNING");
    assertThat(keys()).hasSize(1);
    assertThat(left).exists();

    ReadCommandsIT.Run repair = vigil("repair", "--config", config.toString());

    assertThat(repair.exit()).as(repair.err()).isZero();
    assertThat(repair.out())
        .contains("resolved " + BACKUP_ID)
        .contains("1 object deleted")
        .contains("spool " + left + " removed")
        .contains("1 orphaned backup resolved, 0 stale spool directories removed");
    BackupRecord row = catalog.find(BACKUP_ID).orElseThrow();
    assertThat(row.status()).isEqualTo("FAILED");
    assertThat(row.failureReason())
        .startsWith("orphaned: run backup-" + BACKUP_ID + " is no longer known to Temporal")
        .endsWith("by `vigil repair` on host repair-host");
    assertThat(keys()).isEmpty();
    assertThat(left).doesNotExist();
  }

  @Test
  void aStartingWorkerResolvesTheOrphanBeforeItPolls() {
    VigilConfig loaded = new ConfigLoader().load(config);
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
    try (VigilServices services = new VigilServices(loaded, System::getenv);
        VigilWorker worker = VigilWorker.start(WorkflowClient.newInstance(stubs), services)) {
      BackupRecord row = catalog.find(BACKUP_ID).orElseThrow();
      assertThat(row.status()).isEqualTo("FAILED");
      assertThat(row.failureReason()).endsWith("by the worker start on host repair-host");
      assertThat(keys()).isEmpty();
      assertThat(left).doesNotExist();
    } finally {
      stubs.shutdownNow();
    }
  }

  private List<String> keys() {
    return s3.client().listObjectsV2(r -> r.bucket(bucket)).contents().stream()
        .map(S3Object::key)
        .toList();
  }
}
