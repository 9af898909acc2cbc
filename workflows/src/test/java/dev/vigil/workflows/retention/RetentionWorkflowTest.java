package dev.vigil.workflows.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.TestSearchAttributes;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link RetentionWorkflowImpl} on the Temporal test server with fake activities. */
class RetentionWorkflowTest {
  private static final String QUEUE = "vigil";

  private final List<String> calls = new CopyOnWriteArrayList<>();
  private volatile Set<String> failing = Set.of();
  private volatile WalExpiry wal;
  private TestWorkflowEnvironment environment;

  @BeforeEach
  void start() {
    environment = TestWorkflowEnvironment.newInstance();
    TestSearchAttributes.register(environment);
    Worker worker = environment.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(RetentionWorkflowImpl.class);
    worker.registerActivitiesImplementations(new FakeActivities());
    environment.start();
  }

  @AfterEach
  void stop() {
    environment.close();
  }

  @Test
  void aDryRunPlansAndChangesNothing() {
    RetentionResult result = run(true);

    assertThat(calls).containsExactly("sources", "plan models record=false");
    assertThat(result.dryRun()).isTrue();
    assertThat(result.sources().get(0).plan().decisions()).hasSize(4);
    assertThat(result.sources().get(0).applied()).isEmpty();
  }

  @Test
  void archivesRunBeforePrunesEachStepInOrderAndAFailureDoesNotStopTheRest() {
    failing = Set.of("beginPrune p2");

    RetentionResult result = run(false);

    assertThat(calls)
        .containsExactly(
            "sources",
            "plan models record=true",
            "copyToCold a1 GLACIER",
            "verifyColdCopy a1",
            "recordColdCopy a1",
            "removeHotCopy a1",
            "beginPrune p1",
            "deletePrunedObjects p1",
            "markPruned p1",
            "beginPrune p2",
            "removeLocalArtifact run/checkpoint-1",
            "writeRowArchive 2024-01",
            "verifyRowArchive 2024-01",
            "markRowsArchived 2024-01");
    SourceRetentionResult source = result.sources().get(0);
    assertThat(source.failures())
        .containsExactly("prune p2: backup p2 is the newest verified backup; it is never pruned");
    assertThat(source.applied())
        .containsExactly(
            "archive a1 to GLACIER",
            "prune p1",
            "remove local checkpoint run/checkpoint-1",
            "archive rows of public.conversations 2024-01");
    assertThat(source.rowsArchived()).isEqualTo(42);
    assertThat(result.succeeded()).isFalse();
  }

  @Test
  void aSourceWithArchivedWalLosesItsExpiredWalAfterThePrunesAndOnlyWhenNotADryRun() {
    wal = new WalExpiry("models", "000000010000000000000025", "k", 37, 1, 1000, null);

    RetentionResult applied = run(false);

    assertThat(calls)
        .containsSubsequence(
            "markPruned p2", "deleteExpiredWal models", "removeLocalArtifact run/checkpoint-1");
    assertThat(applied.sources().get(0).applied())
        .contains(
            "delete WAL: 37 segments and 1 labels/partial files before 000000010000000000000025"
                + " (kept for backup k)");
    calls.clear();

    RetentionResult dryRun = run(true);

    assertThat(calls).doesNotContain("deleteExpiredWal models");
    assertThat(dryRun.sources().get(0).plan().wal().summary())
        .isEqualTo(
            "WAL: 37 segments and 1 labels/partial files before 000000010000000000000025"
                + " (kept for backup k)");
  }

  @Test
  void aColdCopyThatFailsVerificationLeavesTheCatalogAndTheHotCopyAlone() {
    failing = Set.of("verifyColdCopy a1");

    RetentionResult result = run(false);

    assertThat(calls)
        .contains("verifyColdCopy a1")
        .doesNotContain("recordColdCopy a1")
        .doesNotContain("removeHotCopy a1");
    assertThat(result.sources().get(0).failures())
        .singleElement()
        .asString()
        .startsWith("archive a1 to GLACIER: ");
  }

  @Test
  void aScheduledRunWithoutARequestTimeIsNamedAfterItsOwnStart() {
    // The test server skips time while the run waits, so its start lies between these two.
    String before = dev.vigil.workflows.backup.BackupIds.timestamp(environment.currentTimeMillis());
    RetentionResult result = run(true, 0);
    String after = dev.vigil.workflows.backup.BackupIds.timestamp(environment.currentTimeMillis());

    assertThat(result.runId()).matches("retention-dry-run-\\d{8}T\\d{6}Z");
    String started = result.runId().substring("retention-dry-run-".length());
    assertThat(started).isBetween(before, after);
  }

  private RetentionResult run(boolean dryRun) {
    return run(dryRun, 1_700_000_000_000L);
  }

  private RetentionResult run(boolean dryRun, long requestedAtMillis) {
    RetentionWorkflow workflow =
        environment
            .getWorkflowClient()
            .newWorkflowStub(
                RetentionWorkflow.class,
                WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("r").build());
    return workflow.run(new RetentionRequest(List.of(), dryRun, requestedAtMillis, "test"));
  }

  private final class FakeActivities implements RetentionActivities {
    private void call(String line) {
      calls.add(line);
      if (failing.contains(line.replace(" GLACIER", ""))) {
        throw ErrorType.CATALOG_CONFLICT.failure(
            line.contains("verify")
                ? "cold copy of a1 reads back wrong"
                : "backup p2 is the newest verified backup; it is never pruned");
      }
    }

    @Override
    public List<String> retentionSources(List<String> requested) {
      calls.add("sources");
      return List.of("models");
    }

    @Override
    public SourcePlan plan(RetentionPlanRequest request) {
      calls.add("plan " + request.source() + " record=" + request.record());
      return new SourcePlan(
          "models",
          "model",
          List.of(
              decision("k", RetentionAction.KEEP),
              decision("p1", RetentionAction.PRUNE),
              decision("a1", RetentionAction.ARCHIVE),
              decision("p2", RetentionAction.PRUNE)),
          List.of(
              new LocalArtifactDecision(
                  "models", "run/checkpoint-1", "checkpoint", 1, 1, 10, true, "k", "old"),
              new LocalArtifactDecision(
                  "models", "production", "production", 1, 1, 10, false, null, "forever")),
          List.of(
              new RowMonth(
                  "models", "main", "public.conversations", "2024-01", 5, "rows/2024-01", 42)),
          wal);
    }

    @Override
    public WalExpiry deleteExpiredWal(WalExpiryRequest request) {
      call("deleteExpiredWal " + request.source());
      return wal;
    }

    private RetentionDecision decision(String id, RetentionAction action) {
      return new RetentionDecision(
          id,
          "models",
          "ARCHIVED",
          1,
          action == RetentionAction.ARCHIVE ? "GLACIER" : "STANDARD",
          10,
          action,
          List.of("rule"),
          "because");
    }

    @Override
    public ColdCopy copyToCold(ActionRequest request) {
      call("copyToCold " + request.backupId() + " " + request.storageClass());
      return new ColdCopy(
          request.runId(),
          request.backupId(),
          "models",
          "main",
          "hot",
          "cold",
          "GLACIER",
          10,
          "abc",
          null);
    }

    @Override
    public void verifyColdCopy(ColdCopy copy) {
      call("verifyColdCopy " + copy.backupId());
    }

    @Override
    public void recordColdCopy(ColdCopy copy) {
      call("recordColdCopy " + copy.backupId());
    }

    @Override
    public void removeHotCopy(ColdCopy copy) {
      call("removeHotCopy " + copy.backupId());
    }

    @Override
    public void beginPrune(ActionRequest request) {
      call("beginPrune " + request.backupId());
    }

    @Override
    public void deletePrunedObjects(ActionRequest request) {
      call("deletePrunedObjects " + request.backupId());
    }

    @Override
    public void markPruned(ActionRequest request) {
      call("markPruned " + request.backupId());
    }

    @Override
    public void removeLocalArtifact(LocalArtifactDecision decision) {
      call("removeLocalArtifact " + decision.path());
    }

    @Override
    public RowArchiveFile writeRowArchive(RowMonth month) {
      call("writeRowArchive " + month.month());
      return new RowArchiveFile(month, "b", month.objectKey(), 42, 100, "sha");
    }

    @Override
    public void verifyRowArchive(RowArchiveFile file) {
      call("verifyRowArchive " + file.month().month());
    }

    @Override
    public long markRowsArchived(RowArchiveFile file) {
      call("markRowsArchived " + file.month().month());
      return 42;
    }

    @Override
    public RehydrateTarget locateForRehydrate(RehydrateRequest request) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean requestColdRestore(RehydrateTarget target, int days) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean objectReadable(RehydrateTarget target) {
      throw new UnsupportedOperationException();
    }

    @Override
    public ExtractResult extract(RehydrateTarget target, String targetDir) {
      throw new UnsupportedOperationException();
    }
  }
}
