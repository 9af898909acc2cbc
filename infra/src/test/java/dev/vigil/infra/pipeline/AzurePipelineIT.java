package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.store.ObjectAttributes;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.activities.testing.AzuriteFixture;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import io.temporal.client.WorkflowFailedException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real pipeline with an Azure Blob repository on Azurite: pg_dump and a directory backed up,
 * uploaded as staged blocks, read back and recorded; restored by {@code RestoreWorkflow}; a blob
 * rotted on Azurite's disk or deleted is refused before a target is touched.
 */
class AzurePipelineIT {
  private static final AtomicLong CLOCK = new AtomicLong(1_850_000_000_000L);

  @TempDir static Path dir;

  private static PipelineHarness harness;
  private static AzuriteFixture azurite;
  private static String container;
  private static String yaml;
  private static PlanResult backup;

  @BeforeAll
  static void backUpOnce() throws Exception {
    harness = new PipelineHarness(dir);
    azurite = AzuriteFixture.get();
    container = azurite.newContainer("pipeline");
    String s3Config = harness.config();
    yaml =
        s3Config.substring(0, s3Config.indexOf("repositories:\n"))
            + """
            repositories:
              main:
                type: azure
                account: %s
                container: %s
                endpoint: %s
                prefix: vigil
                access-tier: Cool
                account-key-env: %s
                block-size: 1MiB
            """
                .formatted(
                    AzuriteFixture.ACCOUNT, container, azurite.endpoint(), AzuriteFixture.KEY_ENV)
            + s3Config.substring(s3Config.indexOf("encryption:\n"));
    backup = harness.run(harness.load(yaml), List.of());
    harness.close();
  }

  @AfterAll
  static void tearDownAll() {
    harness.close();
  }

  @AfterEach
  void stopWorker() {
    harness.close();
  }

  @Test
  void backupsAreStoredAsVerifiedBlobsInTheRepositorysTierAndTheCatalogAgrees() throws Exception {
    startWorker();
    assertThat(backup.status()).isEqualTo("COMPLETE");
    assertThat(backup.results()).extracting(SourceBackupResult::status).containsOnly("ARCHIVED");
    ObjectStore store = services.store("main");
    for (SourceBackupResult result : backup.results()) {
      assertThat(result.objectKey()).startsWith("vigil/");
      StoredObject data = store.head(result.objectKey()).orElseThrow();
      assertThat(data.size()).isEqualTo(result.storedBytes());
      assertThat(data.storageClass()).isEqualTo("STANDARD_IA");
      assertThat(data.metadata()).containsEntry("vigil-sha256", result.sha256());
      try (InputStream in = store.open(result.objectKey())) {
        assertThat(Digests.sha256Hex(in)).isEqualTo(result.sha256());
      }
      assertThat(store.head(result.manifestKey()).orElseThrow().metadata())
          .containsKey("vigil-hmac-sha256");
      assertThat(store.tags(result.objectKey()))
          .containsEntry("vigil-source", result.source().name());
      assertThat(
              azurite
                  .client(container)
                  .getBlobClient(result.objectKey())
                  .getProperties()
                  .getAccessTier())
          .hasToString("Cool");
    }
    assertThat(services.catalog().list(null))
        .extracting(record -> record.sha256())
        .containsExactlyInAnyOrderElementsOf(
            backup.results().stream().map(SourceBackupResult::sha256).toList());
  }

  @Test
  void aDirectoryAndADatabaseAreRestoredFromTheAzureRepository() throws Exception {
    startWorker();
    Path target = dir.resolve("restored-models");

    RestoreResult models =
        restore(RestoreSelector.latest("models"), RestoreTarget.directory(target.toString()));

    assertThat(models.status()).isEqualTo("RESTORED");
    assertThat(Files.readAllBytes(target.resolve("checkpoint-1/weights.bin")))
        .isEqualTo(Files.readAllBytes(dir.resolve("models/checkpoint-1/weights.bin")));

    RestoreResult appdb =
        restore(
            RestoreSelector.latest("appdb"),
            new RestoreTarget("fresh-cluster", null, 0, null, null, null, null));
    try {
      assertThat(appdb.status()).isEqualTo("RESTORED");
      assertThat(appdb.validation().checks())
          .contains("public.conversations: 5000 rows as recorded");
    } finally {
      dev.vigil.activities.restore.FreshClusters.shared().stop(lastRestoreId);
    }
  }

  @Test
  void aBitRottedOnAzuritesDiskIsCorruptAndNothingIsRestored() throws Exception {
    startWorker();
    SourceBackupResult models = backupOf("models");
    byte[] stored;
    try (InputStream in = services.store("main").open(models.objectKey())) {
      stored = in.readAllBytes();
    }
    Path target = dir.resolve("never-rotted");
    var spots =
        azurite.flipBitOnDisk(
            Arrays.copyOfRange(stored, stored.length / 2, stored.length / 2 + 64));
    try {
      assertRestoreFails(
          models,
          target,
          "OBJECT_CORRUPT",
          // The restore's own wording: a container is the store's "bucket".
          "failed at verify: object '"
              + models.objectKey()
              + "' in bucket '"
              + container
              + "' of backup '"
              + models.backupId()
              + "' is corrupt");
    } finally {
      for (var spot : spots) {
        spot.flip();
      }
    }
    assertThat(target).doesNotExist();
  }

  @Test
  void aDeletedBlobFailsNamingItAndNothingIsRestored() throws Exception {
    startWorker();
    SourceBackupResult models = backupOf("models");
    ObjectStore store = services.store("main");
    StoredObject head = store.head(models.objectKey()).orElseThrow();
    var tags = store.tags(models.objectKey());
    Path saved = dir.resolve("saved-blob");
    try (InputStream in = store.open(models.objectKey())) {
      Files.copy(in, saved);
    }
    Path target = dir.resolve("never-deleted");
    store.delete(models.objectKey());
    try {
      assertRestoreFails(
          models,
          target,
          null,
          "blob '" + models.objectKey() + "' in container '" + container + "'");
    } finally {
      store.putFile(
          saved,
          models.objectKey(),
          new ObjectAttributes(head.storageClass(), tags, head.metadata()));
    }
    assertThat(target).doesNotExist();
  }

  private String lastRestoreId;
  private VigilServices services;

  private void assertRestoreFails(
      SourceBackupResult backupResult, Path target, String type, String message) {
    assertThatThrownBy(
            () ->
                restore(
                    RestoreSelector.latest(backupResult.source().name()),
                    RestoreTarget.directory(target.toString())))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            failure -> {
              if (type != null) {
                assertThat(Failures.type(failure)).isEqualTo(type);
              }
              assertThat(Failures.reason(failure))
                  .contains(message)
                  .doesNotContain(AzuriteFixture.ACCOUNT_KEY)
                  .doesNotContain("\n");
            });
  }

  private RestoreResult restore(RestoreSelector selector, RestoreTarget target) {
    RestoreClient client =
        new RestoreClient(harness.workflowClient(), services.config().temporal().taskQueue());
    lastRestoreId =
        client.start(
            new RestoreRequest(selector, target, false, 2, "azure-it"), CLOCK.addAndGet(1000));
    return client.await(lastRestoreId);
  }

  /** A worker on the Azure config; {@link #services} are its services. */
  private void startWorker() throws IOException {
    harness.startWorker(harness.load(yaml));
    services = harness.services();
  }

  private static SourceBackupResult backupOf(String source) {
    return backup.results().stream()
        .filter(result -> result.source().name().equals(source))
        .findFirst()
        .orElseThrow();
  }
}
