package dev.vigil.infra.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.retention.ColdRestorer;
import dev.vigil.activities.retention.RetentionActivitiesImpl;
import dev.vigil.activities.retention.RetentionCatalog;
import dev.vigil.activities.retention.RetentionMetrics;
import dev.vigil.starter.RetentionClient;
import dev.vigil.worker.SearchAttributeRegistration;
import dev.vigil.workflows.retention.RetentionResult;
import dev.vigil.workflows.retention.RetentionWorkflowImpl;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crashes at every step of archive and prune, and runs cut short between steps: after the retries
 * (or the next run) the store and the catalog agree, and the catalog never claimed an object the
 * store lacked.
 */
class RetentionCrashIT {
  private static final String POLICY =
      """
      retention:
        keep-last: 1
        archive-after: 30d
        delete-archived-after: 50d
      """;

  @TempDir Path dir;
  private RetentionHarness harness;
  private TestWorkflowEnvironment environment;
  private VigilServices services;
  private SimpleMeterRegistry registry;

  @BeforeEach
  void start() throws Exception {
    harness = new RetentionHarness(dir);
    services = harness.services(harness.load(harness.config(POLICY, "")));
    registry = new SimpleMeterRegistry();
  }

  @AfterEach
  void stop() {
    if (environment != null) {
      environment.close();
    }
    harness.close();
  }

  @Test
  void aCrashAfterEveryArchiveAndPruneStepConvergesOnRetryWithoutClaimingMissingObjects()
      throws Exception {
    String prunedKey = harness.fabricate("models-pruned", 60, "STANDARD", null);
    String archivedKey = harness.fabricate("models-archived", 40, "STANDARD", null);
    String keptKey = harness.fabricate("models-kept", 1, "STANDARD", null);
    CrashingRetentionActivities crashing = worker();

    RetentionResult result = run(false);

    assertThat(result.sources().get(0).failures()).isEmpty();
    assertThat(crashing.crashes)
        .containsExactlyInAnyOrder(
            "copyToCold models-archived",
            "verifyColdCopy models-archived",
            "recordColdCopy models-archived",
            "removeHotCopy models-archived",
            "beginPrune models-pruned",
            "deletePrunedObjects models-pruned",
            "markPruned models-pruned");
    assertThat(crashing.inconsistencies).isEmpty();
    assertThat(harness.catalogText("models-pruned", "status")).isEqualTo("PRUNED");
    assertThat(harness.head(prunedKey)).isNull();
    assertThat(harness.head(archivedKey)).isNull();
    String coldKey = harness.catalogText("models-archived", "object_key");
    assertThat(harness.head(coldKey).storageClassAsString()).isEqualTo("GLACIER");
    assertThat(harness.head(keptKey)).isNotNull();
    assertThat(harness.claimedButMissing()).isEmpty();
    // Retried steps count once.
    assertThat(registry.get("models.archived").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("backups.pruned").counter().count()).isEqualTo(1.0);
  }

  @Test
  void aRunCutShortBetweenStepsIsFinishedByTheNextRun() throws Exception {
    String prunedKey = harness.fabricate("models-pruned", 60, "STANDARD", null);
    String archivedKey = harness.fabricate("models-archived", 40, "STANDARD", null);
    harness.fabricate("models-kept", 1, "STANDARD", null);
    // A run died after the prune began, and another after the catalog took the cold copy.
    RetentionCatalog catalog = new RetentionCatalog(services.catalogDataSource());
    catalog.beginPrune("models-pruned", "expired");
    String coldKey = archivedKey.replace("/data.vgl", "/cold/data.vgl");
    services.store("main").copy(archivedKey, coldKey, "GLACIER");
    catalog.recordColdCopy("models-archived", archivedKey, coldKey, "GLACIER");
    assertThat(harness.claimedButMissing()).isEmpty();
    worker();

    RetentionResult result = run(false);

    assertThat(result.sources().get(0).plan().decisions())
        .filteredOn(d -> !d.backupId().equals("models-kept"))
        .extracting(d -> d.backupId() + " " + d.action() + " " + d.rules())
        .containsExactly(
            "models-archived ARCHIVE [cold, resume-archive]", "models-pruned PRUNE [resume-prune]");
    assertThat(harness.catalogText("models-pruned", "status")).isEqualTo("PRUNED");
    assertThat(harness.head(prunedKey)).isNull();
    assertThat(harness.head(archivedKey)).isNull();
    assertThat(harness.head(coldKey).storageClassAsString()).isEqualTo("GLACIER");
    assertThat(harness.claimedButMissing()).isEmpty();
  }

  private CrashingRetentionActivities worker() {
    environment =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    Worker worker = environment.newWorker("vigil");
    worker.registerWorkflowImplementationTypes(RetentionWorkflowImpl.class);
    CrashingRetentionActivities crashing =
        new CrashingRetentionActivities(
            new RetentionActivitiesImpl(
                services, new RetentionMetrics(registry), ColdRestorer.STORE),
            harness::claimedButMissing);
    worker.registerActivitiesImplementations(crashing);
    environment.start();
    SearchAttributeRegistration.register(
        environment.getWorkflowClient().getWorkflowServiceStubs(), environment.getNamespace());
    return crashing;
  }

  private RetentionResult run(boolean dryRun) {
    RetentionClient client = new RetentionClient(environment.getWorkflowClient(), "vigil");
    return client.await(
        client.start(dryRun, List.of("models"), System.currentTimeMillis(), "test"));
  }
}
