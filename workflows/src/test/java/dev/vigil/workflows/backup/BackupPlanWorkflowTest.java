package dev.vigil.workflows.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.common.TaskQueues;
import dev.vigil.workflows.common.TestSearchAttributes;
import dev.vigil.workflows.copy.CopiedItem;
import dev.vigil.workflows.copy.CopyActivities;
import dev.vigil.workflows.copy.CopyReport;
import dev.vigil.workflows.copy.CopyRetentionRequest;
import dev.vigil.workflows.copy.CopyTask;
import dev.vigil.workflows.notify.Delivery;
import dev.vigil.workflows.notify.NotificationEvent;
import dev.vigil.workflows.notify.NotifyResult;
import dev.vigil.workflows.notify.NotifyWorkflow;
import dev.vigil.workflows.notify.NotifyWorkflowImpl;
import dev.vigil.workflows.notify.RecordingNotifyActivities;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link BackupPlanWorkflowImpl} with its real {@link SourceBackupWorkflowImpl} children on the
 * Temporal test server; only the activities are fakes.
 */
class BackupPlanWorkflowTest {
  private static final String HOST_ID = "test-host";
  private static final String HOST_QUEUE = TaskQueues.host(TaskQueues.DEFAULT, HOST_ID);
  private static final String PLAN = "nightly";
  private static final long REQUESTED_AT = Instant.parse("2026-11-22T02:00:00Z").toEpochMilli();
  private static final String TIMESTAMP = BackupIds.timestamp(REQUESTED_AT);
  private static final String SET_ID = PLAN + "-" + TIMESTAMP;
  private static final List<SourceRef> SOURCES =
      List.of(
          new SourceRef("orders-db", "postgres", "database", "primary"),
          new SourceRef("ranker-model", "directory", "model", "primary"),
          new SourceRef("clicks-dataset", "directory", "dataset", "primary"),
          new SourceRef("platform-config", "directory", "config", "primary"));
  private static final String MODELS_PLAN = "models";
  private static final String COPIED_PLAN = "copied";
  private static final int MAX_PARALLEL = 2;

  private final List<BackupStart> begun = new CopyOnWriteArrayList<>();
  private final List<BackupSetRequest> recordedSets = new CopyOnWriteArrayList<>();
  private final AtomicInteger dumpsRunning = new AtomicInteger();
  private final AtomicInteger mostDumpsAtOnce = new AtomicInteger();
  private volatile Set<String> sourcesFailingAuthentication = Set.of();

  private final RecordingNotifyActivities notifier = new RecordingNotifyActivities();
  private TestWorkflowEnvironment testEnv;
  private WorkflowClient client;

  @BeforeEach
  void startTestServer() {
    testEnv = TestWorkflowEnvironment.newInstance();
    TestSearchAttributes.register(testEnv);
    Worker sharedWorker = testEnv.newWorker(TaskQueues.DEFAULT);
    sharedWorker.registerWorkflowImplementationTypes(
        BackupPlanWorkflowImpl.class, SourceBackupWorkflowImpl.class, NotifyWorkflowImpl.class);
    sharedWorker.registerActivitiesImplementations(
        new FakeBackupActivities(), new FakeCopyActivities(), notifier);
    testEnv.newWorker(HOST_QUEUE).registerActivitiesImplementations(new FakeSpoolActivities());
    testEnv.start();
    client = testEnv.getWorkflowClient();
  }

  @AfterEach
  void stopTestServer() {
    testEnv.close();
  }

  @Test
  void planRunsAtMostMaxParallelSourcesAtOnceAndArchivesThemAll() {
    PlanResult result = newPlanWorkflow(planWorkflowId()).run(planRequest());

    assertThat(mostDumpsAtOnce).hasValue(MAX_PARALLEL);
    assertThat(result.setId()).isEqualTo(SET_ID);
    assertThat(result.plan()).isEqualTo(PLAN);
    assertThat(result.results()).extracting(SourceBackupResult::source).isEqualTo(SOURCES);
    assertThat(result.results()).allSatisfy(source -> assertThat(source.archived()).isTrue());
    assertThat(recordedSets)
        .singleElement()
        .satisfies(
            set -> {
              assertThat(set.setId()).isEqualTo(SET_ID);
              assertThat(set.triggeredBy()).isEqualTo("schedule:nightly");
              assertThat(set.results()).extracting(SourceBackupResult::source).isEqualTo(SOURCES);
              assertThat(set.results())
                  .extracting(SourceBackupResult::status)
                  .containsOnly("ARCHIVED");
            });
    assertThat(result.status()).isEqualTo("COMPLETE");
    assertThat(result.complete()).isTrue();
    assertThat(result.manifestKey()).isEqualTo("sets/" + SET_ID + ".json");
  }

  @Test
  void eachSourceOutcomeGoesToADetachedNotifierAfterThePlanIsRecorded() {
    sourcesFailingAuthentication = Set.of("clicks-dataset");

    PlanResult result = newPlanWorkflow(planWorkflowId()).run(planRequest());
    NotifyResult notified =
        client
            .newUntypedWorkflowStub(NotifyWorkflow.workflowId(planWorkflowId()))
            .getResult(NotifyResult.class);

    assertThat(notified).isEqualTo(new NotifyResult(SOURCES.size(), List.of()));
    assertThat(notifier.delivered)
        .extracting(delivery -> delivery.event().source())
        .containsExactlyInAnyOrderElementsOf(SOURCES.stream().map(SourceRef::name).toList());
    NotificationEvent failed =
        notifier.delivered.stream()
            .map(Delivery::event)
            .filter(event -> event.source().equals("clicks-dataset"))
            .findFirst()
            .orElseThrow();
    assertThat(failed.event()).isEqualTo("backup");
    assertThat(failed.outcome()).isEqualTo("failure");
    assertThat(failed.workflowId()).isEqualTo(planWorkflowId());
    assertThat(failed.plan()).isEqualTo(PLAN);
    assertThat(failed.errorCode()).isEqualTo("AUTHENTICATION_FAILED");
    assertThat(failed.message())
        .isEqualTo(
            "backup clicks-dataset-"
                + TIMESTAMP
                + " failed at dump: permission denied reading /data/clicks");
    assertThat(result.status()).isEqualTo("PARTIAL");
  }

  @Test
  void aChannelThatNeverAnswersLeavesThePlanAsItIsAndTheNotifierSaysSoAfterAnHour() {
    notifier.failing = true;

    PlanResult result = newPlanWorkflow(planWorkflowId()).run(planRequest());
    NotifyResult notified =
        client
            .newUntypedWorkflowStub(NotifyWorkflow.workflowId(planWorkflowId()))
            .getResult(NotifyResult.class);

    assertThat(result.status()).isEqualTo("COMPLETE");
    assertThat(notified.delivered()).isZero();
    assertThat(notified.failures())
        .hasSize(SOURCES.size())
        .allSatisfy(line -> assertThat(line).contains(" → ops: "));
    // Retried from 2 s, doubling to 5 minutes apart, for the hour: more than a dozen attempts.
    assertThat(notifier.attempts.get()).isGreaterThan(SOURCES.size() * 12);
  }

  @Test
  void failedSourceDoesNotStopTheOthersAndIsReportedWithItsReason() {
    sourcesFailingAuthentication = Set.of("clicks-dataset");

    PlanResult result = newPlanWorkflow(planWorkflowId()).run(planRequest());

    assertThat(result.results()).extracting(SourceBackupResult::source).isEqualTo(SOURCES);
    assertThat(result.results())
        .extracting(SourceBackupResult::status)
        .containsExactly("ARCHIVED", "ARCHIVED", "FAILED", "ARCHIVED");
    SourceBackupResult failedSource = result.results().get(2);
    assertThat(failedSource.backupId()).isEqualTo("clicks-dataset-" + TIMESTAMP);
    assertThat(failedSource.failureType()).isEqualTo("AUTHENTICATION_FAILED");
    assertThat(failedSource.failure())
        .isEqualTo(
            "backup clicks-dataset-"
                + TIMESTAMP
                + " failed at dump: permission denied reading /data/clicks");
    assertThat(recordedSets)
        .singleElement()
        .satisfies(set -> assertThat(set.results()).isEqualTo(result.results()));
    assertThat(result.status()).isEqualTo("PARTIAL");
    assertThat(result.complete()).isFalse();
  }

  @Test
  void childIdsComeFromTheRequestedTimeSoASecondStartOfTheSameRunIsRefused() {
    newPlanWorkflow(planWorkflowId()).run(planRequest());

    assertThat(begun)
        .extracting(BackupStart::workflowId)
        .containsExactlyInAnyOrder(
            "backup-orders-db-20261122T020000Z",
            "backup-ranker-model-20261122T020000Z",
            "backup-clicks-dataset-20261122T020000Z",
            "backup-platform-config-20261122T020000Z");
    assertThat(begun).extracting(BackupStart::setId).containsOnly(SET_ID);

    BackupPlanWorkflow again = newPlanWorkflow(planWorkflowId());
    assertThatThrownBy(() -> WorkflowClient.start(again::run, planRequest()))
        .isInstanceOf(WorkflowExecutionAlreadyStarted.class);
    assertThat(begun).hasSize(SOURCES.size());
  }

  @Test
  void sourceAlreadyBackedUpByAnotherPlanAtTheSameTimeIsNotBackedUpTwice() {
    newPlanWorkflow(planWorkflowId()).run(planRequest());

    PlanResult models =
        newPlanWorkflow(BackupPlanWorkflow.workflowId(MODELS_PLAN, TIMESTAMP))
            .run(new PlanRequest(MODELS_PLAN, List.of(), REQUESTED_AT, "schedule:models"));

    // backup-ranker-model-<timestamp> exists already: its start is refused, nothing runs twice.
    assertThat(begun).hasSize(SOURCES.size());
    assertThat(models.results())
        .singleElement()
        .satisfies(
            result -> {
              assertThat(result.backupId()).isEqualTo("ranker-model-" + TIMESTAMP);
              assertThat(result.status()).isEqualTo("FAILED");
              assertThat(result.failureType()).isEqualTo("DUPLICATE_RUN");
              assertThat(result.failure())
                  .isEqualTo(
                      "source 'ranker-model': backup ranker-model-"
                          + TIMESTAMP
                          + " was already started by workflow backup-ranker-model-"
                          + TIMESTAMP
                          + " for another plan run in the same second; not run twice, and not"
                          + " part of this set");
            });
    assertThat(models.complete()).isFalse();
  }

  @Test
  void planPassesItsSearchAttributesToEachBackupAndEachEndsWithItsOutcome() {
    sourcesFailingAuthentication = Set.of("clicks-dataset");
    BackupPlanWorkflow plan =
        client.newWorkflowStub(
            BackupPlanWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(planWorkflowId())
                .setTaskQueue(TaskQueues.DEFAULT)
                .setTypedSearchAttributes(
                    SearchAttributes.forRun(
                        SearchAttributes.KIND_BACKUP_SET, null, "schedule:nightly"))
                .build());

    plan.run(planRequest());

    assertThat(attributesOf(planWorkflowId()).get(SearchAttributes.OUTCOME)).isEqualTo("failed");
    String failedChild = SourceBackupWorkflow.workflowId("clicks-dataset", TIMESTAMP);
    io.temporal.common.SearchAttributes failed = attributesOf(failedChild);
    assertThat(failed.get(SearchAttributes.KIND)).isEqualTo("backup");
    assertThat(failed.get(SearchAttributes.SOURCE)).isEqualTo("clicks-dataset");
    assertThat(failed.get(SearchAttributes.TRIGGERED_BY)).isEqualTo("schedule:nightly");
    assertThat(failed.get(SearchAttributes.OUTCOME)).isEqualTo("failed");
    String goodChild = SourceBackupWorkflow.workflowId(SOURCES.get(0).name(), TIMESTAMP);
    assertThat(attributesOf(goodChild).get(SearchAttributes.OUTCOME)).isEqualTo("succeeded");
    assertThat(client.newUntypedWorkflowStub(goodChild).describe().getStaticSummary())
        .startsWith("Backup of " + SOURCES.get(0).name() + " (");
  }

  @Test
  void copiesRunAfterTheSetIsRecordedAndAFailedCopyLeavesTheSetComplete() throws Exception {
    String workflowId = BackupPlanWorkflow.workflowId(COPIED_PLAN, TIMESTAMP);

    PlanResult result =
        newPlanWorkflow(workflowId)
            .run(new PlanRequest(COPIED_PLAN, List.of(), REQUESTED_AT, "schedule:copied"));

    assertThat(pendingAsked).containsExactly(List.of("orders-db"));
    assertThat(result.status()).isEqualTo("COMPLETE");
    assertThat(result.copies())
        .extracting(
            CopyReport::itemKind, CopyReport::itemId, CopyReport::repository, CopyReport::status)
        .containsExactly(
            tuple("backup", "orders-db-old", "offsite", "FAILED"),
            tuple("backup", "orders-db-" + TIMESTAMP, "offsite", "VERIFIED"),
            tuple("set", SET_ID.replace(PLAN, COPIED_PLAN), "offsite", "VERIFIED"));
    assertThat(result.copies().get(0).failure())
        .isEqualTo("bucket 'vigil-offsite' of repository 'offsite' does not exist");
    // Read back only what was written.
    assertThat(verified)
        .containsExactly("orders-db-" + TIMESTAMP, SET_ID.replace(PLAN, COPIED_PLAN));
    WorkflowReplayer.replayWorkflowExecution(
        client.fetchHistory(workflowId), BackupPlanWorkflowImpl.class);
  }

  private io.temporal.common.SearchAttributes attributesOf(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId).describe().getTypedSearchAttributes();
  }

  private BackupPlanWorkflow newPlanWorkflow(String workflowId) {
    return client.newWorkflowStub(
        BackupPlanWorkflow.class,
        WorkflowOptions.newBuilder()
            .setWorkflowId(workflowId)
            .setTaskQueue(TaskQueues.DEFAULT)
            .setWorkflowIdReusePolicy(
                WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
            .build());
  }

  private static String planWorkflowId() {
    return BackupPlanWorkflow.workflowId(PLAN, TIMESTAMP);
  }

  private static PlanRequest planRequest() {
    return new PlanRequest(PLAN, List.of(), REQUESTED_AT, "schedule:nightly");
  }

  /** Holds a dump until another runs beside it (or 1 s passes), so parallelism shows. */
  private void overlapWithOtherDumps() {
    int running = dumpsRunning.incrementAndGet();
    mostDumpsAtOnce.accumulateAndGet(running, Math::max);
    try {
      long deadline = System.nanoTime() + 1_000_000_000L;
      while (dumpsRunning.get() < MAX_PARALLEL && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      // Long enough for a third dump to show up if the workflow started one too many.
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      dumpsRunning.decrementAndGet();
    }
  }

  private final List<List<String>> pendingAsked = new CopyOnWriteArrayList<>();
  private final List<String> verified = new CopyOnWriteArrayList<>();

  private final class FakeCopyActivities implements CopyActivities {
    @Override
    public List<CopyTask> pendingCopies(List<String> sources) {
      pendingAsked.add(sources);
      String setId = SET_ID.replace(PLAN, COPIED_PLAN);
      return List.of(
          task(CopyTask.BACKUP, "orders-db-old"),
          task(CopyTask.BACKUP, "orders-db-" + TIMESTAMP),
          task(CopyTask.SET, setId));
    }

    private CopyTask task(String kind, String id) {
      return new CopyTask(kind, id, "orders-db", "primary", "offsite", id, null, 10, "ab");
    }

    @Override
    public CopiedItem copy(CopyTask task) {
      if (task.itemId().endsWith("-old")) {
        throw ApplicationFailure.newNonRetryableFailure(
            "bucket 'vigil-offsite' of repository 'offsite' does not exist",
            ErrorType.REPOSITORY_NOT_FOUND.name());
      }
      return new CopiedItem(task, 10, "ab", -1, null);
    }

    @Override
    public void verifyCopy(CopiedItem copied) {
      verified.add(copied.task().itemId());
    }

    @Override
    public List<String> pruneCopies(CopyRetentionRequest request) {
      throw new UnsupportedOperationException("not part of a backup");
    }
  }

  private final class FakeBackupActivities implements BackupActivities {
    @Override
    public ResolvedPlan resolvePlan(PlanRequest request) {
      List<SourceRef> sources =
          request.plan().equals(MODELS_PLAN) ? List.of(SOURCES.get(1)) : SOURCES;
      if (request.plan().equals(COPIED_PLAN)) {
        return new ResolvedPlan(request.plan(), sources, MAX_PARALLEL, List.of("orders-db"));
      }
      return new ResolvedPlan(request.plan(), sources, MAX_PARALLEL);
    }

    @Override
    public HostQueue reserveHost() {
      return new HostQueue(HOST_ID, HOST_QUEUE);
    }

    @Override
    public void beginBackup(BackupStart start) {
      begun.add(start);
    }

    @Override
    public UploadVerification verifyUpload(VerifyUploadRequest request) {
      return new UploadVerification(
          request.sealed().storedBytes(), request.sealed().sha256(), "STANDARD", "full-read");
    }

    @Override
    public void markArchived(ArchiveRequest request) {}

    @Override
    public void markFailed(FailRequest request) {}

    @Override
    public BackupSetRecord recordBackupSet(BackupSetRequest request) {
      recordedSets.add(request);
      boolean complete = request.results().stream().allMatch(SourceBackupResult::archived);
      return new BackupSetRecord(
          request.setId(), complete ? "COMPLETE" : "PARTIAL", "sets/" + request.setId() + ".json");
    }
  }

  private final class FakeSpoolActivities implements SpoolActivities {
    @Override
    public DumpResult dump(DumpRequest request) {
      overlapWithOtherDumps();
      if (sourcesFailingAuthentication.contains(request.source().name())) {
        throw ErrorType.AUTHENTICATION_FAILED.failure("permission denied reading /data/clicks");
      }
      return new DumpResult(
          request.backupId(),
          "/var/spool/vigil/" + request.backupId(),
          "tar",
          1_000,
          3,
          0,
          REQUESTED_AT,
          "vigil-tar 1",
          null);
    }

    @Override
    public VerifyDumpResult verifyDump(VerifyDumpRequest request) {
      return new VerifyDumpResult(request.dump().entries(), -1, List.of());
    }

    @Override
    public SealResult seal(SealRequest request) {
      return new SealResult(
          request.dump().backupId(), 1_000, 600, "ab12", "zstd", "AES256_GCM_HKDF_1MB", "key-1");
    }

    @Override
    public UploadResult upload(UploadRequest request) {
      String key = "backups/" + request.source().name() + "/" + request.sealed().backupId();
      return new UploadResult("vigil-backups", key, key + ".manifest.json", "STANDARD", 600, 1, 0);
    }

    @Override
    public void cleanSpool(String backupId) {}
  }
}
