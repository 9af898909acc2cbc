package dev.vigil.infra.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.config.DirectorySourceConfig;
import dev.vigil.activities.retention.RetentionActivitiesImpl;
import dev.vigil.activities.retention.RetentionMetrics;
import dev.vigil.activities.source.DirDump;
import dev.vigil.starter.RetentionClient;
import dev.vigil.worker.SearchAttributeRegistration;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.retention.RehydrateRequest;
import dev.vigil.workflows.retention.RehydrateResult;
import dev.vigil.workflows.retention.RehydrateWorkflowImpl;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.client.WorkflowFailedException;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rehydrating a GLACIER backup: the restore request goes through the restorer interface (a slow
 * fake, as S3Mock has no restore API), the workflow waits on durable timers (skipped in time by the
 * test server), then downloads, verifies, decrypts and extracts the real sealed tar from S3Mock.
 */
class RehydrateColdIT {
  @TempDir Path dir;
  private RetentionHarness harness;
  private TestWorkflowEnvironment environment;
  private VigilServices services;
  private SlowColdRestorer restorer;

  @BeforeEach
  void start() throws Exception {
    harness = new RetentionHarness(dir);
    services = harness.services(harness.load(harness.config("retention: {keep-last: 1}", "")));
    restorer = new SlowColdRestorer(3);
    environment = TestWorkflowEnvironment.newInstance();
    Worker worker = environment.newWorker("vigil");
    worker.registerWorkflowImplementationTypes(RehydrateWorkflowImpl.class);
    worker.registerActivitiesImplementations(
        new RetentionActivitiesImpl(
            services, new RetentionMetrics(new SimpleMeterRegistry()), restorer));
    environment.start();
    SearchAttributeRegistration.register(
        environment.getWorkflowClient().getWorkflowServiceStubs(), environment.getNamespace());
  }

  @AfterEach
  void stop() {
    environment.close();
    harness.close();
  }

  @Test
  void aGlacierBackupIsRestoredAfterWaitingDurablyAndExtractedIntoTheTarget() throws Exception {
    harness.weights("datasets/train.jsonl", 50_000, 5);
    harness.weights("best/weights.bin", 120_000, 6);
    sealedBackup("models-cold", "GLACIER");
    Path target = dir.resolve("restored");
    RetentionClient client = new RetentionClient(environment.getWorkflowClient(), "vigil");

    String runId =
        client.rehydrate(
            new RehydrateRequest(
                "models", null, target.toString(), 2, System.currentTimeMillis(), "test"));
    RehydrateResult result = client.awaitRehydrate(runId);
    var attributes =
        environment
            .getWorkflowClient()
            .newUntypedWorkflowStub(runId)
            .describe()
            .getTypedSearchAttributes();
    assertThat(attributes.get(SearchAttributes.KIND)).isEqualTo("rehydrate");
    assertThat(attributes.get(SearchAttributes.TRIGGERED_BY)).isEqualTo("test");

    assertThat(result.backupId()).isEqualTo("models-cold");
    assertThat(result.restoreRequested()).isTrue();
    assertThat(restorer.requests).containsExactly("models/models-cold/data.vgl for 2 days");
    assertThat(result.polls()).isEqualTo(3);
    // 1 + 2 + 4 minutes of timers, skipped by the test server but recorded by the workflow.
    assertThat(Duration.ofMillis(result.waitedMillis()))
        .isGreaterThanOrEqualTo(Duration.ofMinutes(7));
    assertThat(result.files()).isEqualTo(2);
    assertThat(target.resolve("datasets/train.jsonl"))
        .hasSameBinaryContentAs(harness.models.resolve("datasets/train.jsonl"));
    assertThat(target.resolve("best/weights.bin"))
        .hasSameBinaryContentAs(harness.models.resolve("best/weights.bin"));
  }

  @Test
  void aTargetThatHoldsFilesIsRefusedBeforeAnythingIsRequested() throws Exception {
    harness.weights("best/weights.bin", 1_000, 6);
    sealedBackup("models-cold", "GLACIER");
    Path target = Files.createDirectories(dir.resolve("busy"));
    Files.writeString(target.resolve("keep.txt"), "mine");
    RetentionClient client = new RetentionClient(environment.getWorkflowClient(), "vigil");

    assertThatThrownBy(() -> rehydrateModels(client, target))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            e ->
                assertThat(Failures.reason(e))
                    .isEqualTo(
                        "rehydrate target "
                            + target
                            + " is not empty; pick an empty or new directory"));
    assertThat(restorer.requests).isEmpty();
  }

  @Test
  void aTargetOutsideTheWorkersRestoreRootsIsRefusedBeforeAnythingIsRequested(
      @TempDir Path elsewhere) throws Exception {
    harness.weights("best/weights.bin", 1_000, 6);
    sealedBackup("models-cold", "GLACIER");
    Path target = elsewhere.resolve("cron.d");
    RetentionClient client = new RetentionClient(environment.getWorkflowClient(), "vigil");

    assertThatThrownBy(() -> rehydrateModels(client, target))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            e -> {
              assertThat(Failures.type(e)).isEqualTo("RESTORE_TARGET_FORBIDDEN");
              assertThat(Failures.reason(e))
                  .contains(target.toString())
                  .contains(dir.toAbsolutePath().toString());
            });
    assertThat(target).doesNotExist();
    assertThat(restorer.requests).isEmpty();
  }

  /** Rehydrates the newest models backup into {@code target} and waits for the run's end. */
  private static RehydrateResult rehydrateModels(RetentionClient client, Path target) {
    return client.awaitRehydrate(
        client.rehydrate(
            new RehydrateRequest(
                "models", null, target.toString(), 1, System.currentTimeMillis(), "test")));
  }

  /** A real directory backup: tar of the models dir, sealed, uploaded in {@code storageClass}. */
  private void sealedBackup(String backupId, String storageClass) throws Exception {
    DirectorySourceConfig models = (DirectorySourceConfig) services.source("models");
    Path spool = Files.createDirectories(dir.resolve("fabricate"));
    DirDump dump = services.directoryDumper().dump(models, spool, bytes -> {});
    Path sealed = spool.resolve("data.vgl");
    services
        .sealer()
        .seal(
            dump.archive(),
            sealed,
            "zstd",
            SpoolActivitiesImpl.aeadContext(
                backupId, new SourceRef("models", "directory", "model", "main")),
            bytes -> {});
    harness.fabricate(backupId, 5, storageClass, sealed);
  }
}
