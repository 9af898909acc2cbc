package dev.vigil.workflows.backup;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.common.TaskQueues;
import dev.vigil.workflows.common.TestSearchAttributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.temporal.activity.Activity;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.CommandType;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.PendingActivityState;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SourceBackupWorkflowImpl} against the Temporal test server, with fake activities that
 * record every call. The spool activities poll the host queue that {@code reserveHost} names, as on
 * a real worker, so a step sent to the wrong queue would never run.
 */
class SourceBackupWorkflowTest {
  private static final String HOST_ID = "test-host";
  private static final String HOST_QUEUE = TaskQueues.host(TaskQueues.DEFAULT, HOST_ID);
  private static final String TIMESTAMP = "20261122T020000Z";
  private static final SourceRef SOURCE =
      new SourceRef("orders-db", "postgres", "database", "primary");
  private static final String BACKUP_ID = BackupIds.backupId(SOURCE.name(), TIMESTAMP);
  private static final String WORKFLOW_ID =
      SourceBackupWorkflow.workflowId(SOURCE.name(), TIMESTAMP);
  private static final String SET_ID = "nightly-" + TIMESTAMP;
  private static final long CONSISTENT_AT = 1_795_312_800_000L;
  private static final String SHA256 =
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  private static final String OBJECT_KEY = "backups/orders-db/" + BACKUP_ID + ".dump.zst.enc";
  private static final String MANIFEST_KEY = "backups/orders-db/" + BACKUP_ID + ".manifest.json";
  private static final String SIZE_WARNING = "raw size 1000000 B is 20% above the previous backup";
  private static final long PART_SIZE = 8L * 1024 * 1024;

  /** Every activity call in the order the fakes saw it, one entry per attempt. */
  private final List<String> calls = new CopyOnWriteArrayList<>();

  private final List<BackupStart> begun = new CopyOnWriteArrayList<>();
  private final List<ArchiveRequest> archived = new CopyOnWriteArrayList<>();
  private final List<FailRequest> failed = new CopyOnWriteArrayList<>();
  private final List<Optional<UploadProgress>> uploadResumedFrom = new CopyOnWriteArrayList<>();
  private final CountDownLatch dumpStarted = new CountDownLatch(1);
  private final CountDownLatch releaseDump = new CountDownLatch(1);

  private volatile Step<DumpRequest, DumpResult> dump = (request, attempt) -> dumpOf(request);
  private volatile Step<UploadRequest, UploadResult> upload = (request, attempt) -> uploaded(0);
  private volatile Step<VerifyUploadRequest, UploadVerification> verifyUpload =
      (request, attempt) -> matching(request.sealed());

  private TestWorkflowEnvironment testEnv;
  private WorkflowClient client;

  private final HoldCancelOfAStep holdCancelOfAStep = new HoldCancelOfAStep();

  @BeforeEach
  void startTestServer() {
    testEnv =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowServiceStubsOptions(
                    WorkflowServiceStubsOptions.newBuilder()
                        .setGrpcClientInterceptors(List.of(holdCancelOfAStep))
                        .build())
                .build());
    TestSearchAttributes.register(testEnv);
    Worker sharedWorker = testEnv.newWorker(TaskQueues.DEFAULT);
    sharedWorker.registerWorkflowImplementationTypes(SourceBackupWorkflowImpl.class);
    sharedWorker.registerActivitiesImplementations(new FakeBackupActivities());
    // Default heartbeat throttling here: with 100 ms heartbeats, the test that holds a cancel until
    // the step completed hung past its 90 s timeout in 1 of 5 runs (ACTIVITY_UNKNOWN from the test
    // server); it never did with the SDK's default.
    testEnv.newWorker(HOST_QUEUE).registerActivitiesImplementations(new FakeSpoolActivities());
    testEnv.start();
    client = testEnv.getWorkflowClient();
  }

  @AfterEach
  void stopTestServer() {
    releaseDump.countDown();
    testEnv.close();
  }

  @Test
  void happyPathRunsEveryStepInOrderAndEndsArchived() {
    SourceBackupResult result = newWorkflow(WORKFLOW_ID).backup(request());

    assertThat(calls)
        .containsExactly(
            "reserveHost",
            "beginBackup",
            "dump",
            "verifyDump",
            "seal",
            "upload",
            "verifyUpload",
            "markArchived",
            "cleanSpool");
    assertThat(result.archived()).isTrue();
    assertThat(result.status()).isEqualTo("ARCHIVED");
    assertThat(result.backupId()).isEqualTo(BACKUP_ID);
    assertThat(result.source()).isEqualTo(SOURCE);
    assertThat(result.rawBytes()).isEqualTo(1_000_000);
    assertThat(result.storedBytes()).isEqualTo(400_000);
    assertThat(result.sha256()).isEqualTo(SHA256);
    assertThat(result.bucket()).isEqualTo("vigil-backups");
    assertThat(result.objectKey()).isEqualTo(OBJECT_KEY);
    assertThat(result.manifestKey()).isEqualTo(MANIFEST_KEY);
    assertThat(result.storageClass()).isEqualTo("STANDARD_IA");
    assertThat(result.compression()).isEqualTo("zstd");
    assertThat(result.consistentAtMillis()).isEqualTo(CONSISTENT_AT);
    assertThat(result.warnings()).containsExactly(SIZE_WARNING);
    assertThat(result.steps())
        .extracting(StepTiming::step)
        .containsExactly(
            "reserve-host",
            "begin",
            "dump",
            "verify",
            "compress",
            "upload",
            "verify-upload",
            "mark-archived");
    assertThat(result.failureType()).isNull();
    assertThat(result.failure()).isNull();
    assertThat(failed).isEmpty();
    assertThat(archived).singleElement().satisfies(this::describesTheVerifiedUpload);
    assertThat(begun)
        .singleElement()
        .satisfies(
            start -> {
              assertThat(start.backupId()).isEqualTo(BACKUP_ID);
              assertThat(start.setId()).isEqualTo(SET_ID);
              assertThat(start.workflowId()).isEqualTo(WORKFLOW_ID);
              assertThat(start.hostId()).isEqualTo(HOST_ID);
              assertThat(start.triggeredBy()).isEqualTo("schedule:nightly");
            });
    assertThat(existingWorkflow(WORKFLOW_ID).progress())
        .isEqualTo(new SourceProgress(BACKUP_ID, SOURCE.name(), "done", "ARCHIVED"));
  }

  @Test
  void progressQueryNamesTheRunningStep() throws InterruptedException {
    dump = dumpThatWaitsForRelease();
    SourceBackupWorkflow workflow = newWorkflow(WORKFLOW_ID);
    WorkflowClient.start(workflow::backup, request());
    assertThat(dumpStarted.await(10, SECONDS)).isTrue();

    assertThat(workflow.progress())
        .isEqualTo(new SourceProgress(BACKUP_ID, SOURCE.name(), "dump", "RUNNING"));

    releaseDump.countDown();
    assertThat(WorkflowStub.fromTyped(workflow).getResult(SourceBackupResult.class).status())
        .isEqualTo("ARCHIVED");
  }

  @Test
  void retryableDumpFailureIsRetriedAndTheBackupEndsArchived() {
    dump =
        (request, attempt) -> {
          if (attempt < 3) {
            throw ErrorType.SOURCE_UNREACHABLE.failure("connection to db.internal:5432 refused");
          }
          return dumpOf(request);
        };

    SourceBackupResult result = newWorkflow(WORKFLOW_ID).backup(request());

    assertThat(result.status()).isEqualTo("ARCHIVED");
    assertThat(calls).filteredOn("dump"::equals).hasSize(3);
    assertThat(archived).hasSize(1);
    assertThat(failed).isEmpty();
  }

  @Test
  void nonRetryableDumpFailureIsAttemptedOnceAndRecordedAsFailed() {
    dump =
        (request, attempt) -> {
          throw ErrorType.AUTHENTICATION_FAILED.failure(
              "password authentication failed for user \"vigil\"");
        };

    assertThatThrownBy(() -> newWorkflow(WORKFLOW_ID).backup(request()))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            thrown -> {
              ApplicationFailure failure = applicationFailureIn(thrown);
              assertThat(failure.getType()).isEqualTo("AUTHENTICATION_FAILED");
              assertThat(failure.getOriginalMessage())
                  .isEqualTo(
                      "backup "
                          + BACKUP_ID
                          + " failed at dump: password authentication failed for user \"vigil\"");
            });

    assertThat(calls).filteredOn("dump"::equals).hasSize(1);
    assertThat(failed)
        .containsExactly(
            new FailRequest(
                BACKUP_ID,
                "AUTHENTICATION_FAILED",
                "dump: password authentication failed for user \"vigil\"",
                "dump"));
    assertThat(calls).doesNotContain("verifyDump", "markArchived");
    assertThat(calls).filteredOn("cleanSpool"::equals).hasSize(1);
    assertThat(existingWorkflow(WORKFLOW_ID).progress())
        .isEqualTo(new SourceProgress(BACKUP_ID, SOURCE.name(), "dump", "FAILED"));
  }

  @Test
  void dumpThatKeepsFailingStopsAfterThreeAttemptsAndIsRecordedAsFailed() {
    dump =
        (request, attempt) -> {
          throw ErrorType.SOURCE_UNREACHABLE.failure("connection to db.internal:5432 refused");
        };

    assertThatThrownBy(() -> newWorkflow(WORKFLOW_ID).backup(request()))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            thrown ->
                assertThat(applicationFailureIn(thrown).getType()).isEqualTo("SOURCE_UNREACHABLE"));

    assertThat(calls).filteredOn("dump"::equals).hasSize(3);
    assertThat(failed)
        .containsExactly(
            new FailRequest(
                BACKUP_ID,
                "SOURCE_UNREACHABLE",
                "dump: connection to db.internal:5432 refused",
                "dump"));
    assertThat(calls).doesNotContain("markArchived");
    assertThat(calls).filteredOn("cleanSpool"::equals).hasSize(1);
  }

  @Test
  void uploadMismatchFailsTheBackupAndNeverArchivesIt() {
    verifyUpload =
        (request, attempt) -> {
          throw ErrorType.UPLOAD_MISMATCH.failure(
              "s3://vigil-backups/" + OBJECT_KEY + " has SHA-256 0000, expected " + SHA256);
        };

    assertThatThrownBy(() -> newWorkflow(WORKFLOW_ID).backup(request()))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            thrown -> {
              ApplicationFailure failure = applicationFailureIn(thrown);
              assertThat(failure.getType()).isEqualTo("UPLOAD_MISMATCH");
              assertThat(failure.getOriginalMessage()).contains("failed at verify-upload");
            });

    assertThat(calls).filteredOn("verifyUpload"::equals).hasSize(1);
    assertThat(failed)
        .singleElement()
        .satisfies(
            failure -> {
              assertThat(failure.failureType()).isEqualTo("UPLOAD_MISMATCH");
              assertThat(failure.reason()).startsWith("verify-upload: s3://vigil-backups/");
            });
    assertThat(archived).isEmpty();
    assertThat(calls).endsWith("markFailed", "cleanSpool");
  }

  @Test
  void retriedUploadResumesFromTheLastHeartbeat() {
    UploadProgress threePartsDone =
        new UploadProgress(OBJECT_KEY, "upload-1", PART_SIZE, 3, 3 * PART_SIZE, 5 * PART_SIZE);
    upload =
        (request, attempt) -> {
          var context = Activity.getExecutionContext();
          if (attempt == 1) {
            context.heartbeat(threePartsDone);
            // The store drops the connection after part 3, as an outage or a crash would.
            throw ErrorType.REPOSITORY_UNAVAILABLE.failure("s3 endpoint returned 503 Slow Down");
          }
          Optional<UploadProgress> progress = context.getHeartbeatDetails(UploadProgress.class);
          uploadResumedFrom.add(progress);
          return uploaded(progress.map(UploadProgress::partsDone).orElse(0));
        };

    SourceBackupResult result = newWorkflow(WORKFLOW_ID).backup(request());

    assertThat(result.status()).isEqualTo("ARCHIVED");
    assertThat(calls).filteredOn("upload"::equals).hasSize(2);
    assertThat(uploadResumedFrom).containsExactly(Optional.of(threePartsDone));
    assertThat(archived)
        .singleElement()
        .satisfies(request -> assertThat(request.upload().resumedParts()).isEqualTo(3));
  }

  @Test
  void cancelledBackupIsRecordedAsFailedAndItsSpoolCleaned() throws InterruptedException {
    dump = dumpThatWaitsForRelease();
    SourceBackupWorkflow workflow = newWorkflow(WORKFLOW_ID);
    WorkflowClient.start(workflow::backup, request());
    assertThat(dumpStarted.await(10, SECONDS)).isTrue();

    WorkflowStub stub = WorkflowStub.fromTyped(workflow);
    stub.cancel();

    assertThatThrownBy(() -> stub.getResult(SourceBackupResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    assertThat(failed)
        .singleElement()
        .satisfies(
            failure -> {
              assertThat(failure.backupId()).isEqualTo(BACKUP_ID);
              assertThat(failure.failureType()).isEqualTo("CANCELLED");
              assertThat(failure.reason()).isEqualTo("dump: cancelled");
            });
    assertThat(calls).contains("cleanSpool").doesNotContain("markArchived", "verifyDump");
    assertThat(calls.indexOf("dump-ended"))
        .as("the cancelled dump stops before its spool is cleaned")
        .isNotNegative()
        .isLessThan(calls.indexOf("cleanSpool"));
  }

  @Test
  void cancelReachingAStepThatThenFailsRetryablyWithoutAHeartbeatStillEndsTheRun()
      throws Exception {
    dump =
        (request, attempt) -> {
          dumpStarted.countDown();
          if (attempt == 1) {
            releaseDump.await();
            throw ApplicationFailure.newFailure(
                "pg_dump lost its connection", ErrorType.SOURCE_UNREACHABLE.name());
          }
          return dumpOf(request);
        };
    SourceBackupWorkflow workflow = newWorkflow(WORKFLOW_ID);
    WorkflowClient.start(workflow::backup, request());
    assertThat(dumpStarted.await(10, SECONDS)).isTrue();
    WorkflowStub stub = WorkflowStub.fromTyped(workflow);
    stub.cancel();
    awaitDumpState(PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED);

    // The attempt fails (retryably) with the cancel already requested and never heartbeats.
    releaseDump.countDown();

    assertEndsCancelledAndCleanedUp(stub);
    assertThat(calls).doesNotContain("verifyDump");
  }

  @Test
  void cancelLandingAsAStepCompletesStillEndsTheRun() throws Exception {
    dump = dumpThatWaitsForRelease();
    // The worker's answer that cancels the dump is held until the dump has completed: the cancel
    // lands just as the step ends.
    holdCancelOfAStep.armed = true;
    SourceBackupWorkflow workflow = newWorkflow(WORKFLOW_ID);
    WorkflowClient.start(workflow::backup, request());
    assertThat(dumpStarted.await(10, SECONDS)).isTrue();
    WorkflowStub stub = WorkflowStub.fromTyped(workflow);
    stub.cancel();

    assertEndsCancelledAndCleanedUp(stub);
    assertThat(holdCancelOfAStep.stepCompleted.getCount()).as("the race was set up").isZero();

    assertThat(calls).doesNotContain("markArchived");
  }

  @Test
  void cancelAndAStepCompletionSeenInOneWorkflowTaskStillEndTheRun() throws Exception {
    dump = dumpThatWaitsForRelease();
    SourceBackupWorkflow workflow = newWorkflow(WORKFLOW_ID);
    WorkflowClient.start(workflow::backup, request());
    assertThat(dumpStarted.await(10, SECONDS)).isTrue();
    WorkflowStub stub = WorkflowStub.fromTyped(workflow);
    // A workflow task is held open (a signal the workflow ignores), and meanwhile the cancel comes
    // and the dump completes: the next workflow task sees both at once.
    holdCancelOfAStep.holdNextAnswer = true;
    stub.signal("nothing");
    assertThat(holdCancelOfAStep.answerHeld.await(10, SECONDS)).isTrue();
    stub.cancel();
    releaseDump.countDown();
    assertThat(holdCancelOfAStep.stepCompleted.await(10, SECONDS)).isTrue();
    holdCancelOfAStep.releaseAnswer.countDown();

    assertEndsCancelledAndCleanedUp(stub);
    List<EventType> events =
        client.fetchHistory(WORKFLOW_ID).getHistory().getEventsList().stream()
            .map(event -> event.getEventType())
            .toList();
    List<EventType> afterCancel =
        events.subList(
            events.indexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED),
            events.size());
    assertThat(afterCancel.indexOf(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED))
        .as("the dump completed after the cancel, before anything else was scheduled: %s", events)
        .isPositive()
        .isLessThan(afterCancel.indexOf(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED));
    assertThat(calls).doesNotContain("markArchived");
  }

  @Test
  void secondStartWithTheSameIdWhileRunningIsRefused() throws InterruptedException {
    dump = dumpThatWaitsForRelease();
    SourceBackupWorkflow first = newWorkflow(WORKFLOW_ID);
    WorkflowClient.start(first::backup, request());
    assertThat(dumpStarted.await(10, SECONDS)).isTrue();

    SourceBackupWorkflow second = newWorkflow(WORKFLOW_ID);
    assertThatThrownBy(() -> WorkflowClient.start(second::backup, request()))
        .isInstanceOf(WorkflowExecutionAlreadyStarted.class);

    releaseDump.countDown();
    assertThat(WorkflowStub.fromTyped(first).getResult(SourceBackupResult.class).status())
        .isEqualTo("ARCHIVED");
    assertThat(calls).filteredOn("dump"::equals).hasSize(1);
  }

  @Test
  void secondStartWithTheSameIdAfterCompletionIsRefused() {
    newWorkflow(WORKFLOW_ID).backup(request());

    SourceBackupWorkflow again = newWorkflow(WORKFLOW_ID);
    assertThatThrownBy(() -> WorkflowClient.start(again::backup, request()))
        .isInstanceOf(WorkflowExecutionAlreadyStarted.class);
    assertThat(calls).filteredOn("dump"::equals).hasSize(1);
  }

  @Test
  void runStartedWithSearchAttributesEndsWithOutcomeSucceeded() {
    newWorkflow(WORKFLOW_ID, attributes()).backup(request());

    WorkflowExecutionDescription described = client.newUntypedWorkflowStub(WORKFLOW_ID).describe();
    io.temporal.common.SearchAttributes attributes = described.getTypedSearchAttributes();
    assertThat(attributes.get(SearchAttributes.SOURCE)).isEqualTo("orders-db");
    assertThat(attributes.get(SearchAttributes.KIND)).isEqualTo("backup");
    assertThat(attributes.get(SearchAttributes.TRIGGERED_BY)).isEqualTo("schedule:nightly");
    assertThat(attributes.get(SearchAttributes.OUTCOME)).isEqualTo("succeeded");
  }

  @Test
  void failedRunEndsWithOutcomeFailed() {
    dump =
        (request, attempt) -> {
          throw ErrorType.SOURCE_NOT_FOUND.failure("no such directory: /data/gone");
        };

    assertThatThrownBy(() -> newWorkflow(WORKFLOW_ID, attributes()).backup(request()))
        .isInstanceOf(WorkflowFailedException.class);

    assertThat(
            client
                .newUntypedWorkflowStub(WORKFLOW_ID)
                .describe()
                .getTypedSearchAttributes()
                .get(SearchAttributes.OUTCOME))
        .isEqualTo("failed");
  }

  @Test
  void runWithoutSearchAttributesEndsWithoutUpsertingAnOutcome() {
    // A server that refused the registration gets runs without attributes: none may be upserted.
    newWorkflow(WORKFLOW_ID).backup(request());

    assertThat(
            client
                .newUntypedWorkflowStub(WORKFLOW_ID)
                .describe()
                .getTypedSearchAttributes()
                .containsKey(SearchAttributes.OUTCOME))
        .isFalse();
  }

  private static io.temporal.common.SearchAttributes attributes() {
    return SearchAttributes.forRun(SearchAttributes.KIND_BACKUP, "orders-db", "schedule:nightly");
  }

  private SourceBackupWorkflow newWorkflow(String workflowId) {
    return newWorkflow(workflowId, io.temporal.common.SearchAttributes.EMPTY);
  }

  private SourceBackupWorkflow newWorkflow(
      String workflowId, io.temporal.common.SearchAttributes attributes) {
    return client.newWorkflowStub(
        SourceBackupWorkflow.class,
        WorkflowOptions.newBuilder()
            .setWorkflowId(workflowId)
            .setTaskQueue(TaskQueues.DEFAULT)
            .setWorkflowIdReusePolicy(
                WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
            .setTypedSearchAttributes(attributes)
            .build());
  }

  private SourceBackupWorkflow existingWorkflow(String workflowId) {
    return client.newWorkflowStub(SourceBackupWorkflow.class, workflowId);
  }

  private static SourceBackupRequest request() {
    return new SourceBackupRequest(BACKUP_ID, SET_ID, SOURCE, "schedule:nightly");
  }

  /** A dump that holds (heartbeating) until the test releases it, so the test can act meanwhile. */
  private Step<DumpRequest, DumpResult> dumpThatWaitsForRelease() {
    return (request, attempt) -> {
      dumpStarted.countDown();
      try {
        while (!releaseDump.await(50, MILLISECONDS)) {
          Activity.getExecutionContext().heartbeat(null);
        }
      } finally {
        calls.add("dump-ended");
      }
      return dumpOf(request);
    };
  }

  private void describesTheVerifiedUpload(ArchiveRequest request) {
    assertThat(request.backupId()).isEqualTo(BACKUP_ID);
    assertThat(request.dump().rawBytes()).isEqualTo(1_000_000);
    assertThat(request.sealed().sha256()).isEqualTo(SHA256);
    assertThat(request.upload().objectKey()).isEqualTo(OBJECT_KEY);
    assertThat(request.upload().resumedParts()).isZero();
    assertThat(request.verification()).isEqualTo(matching(request.sealed()));
    assertThat(request.warnings()).containsExactly(SIZE_WARNING);
  }

  private static ApplicationFailure applicationFailureIn(Throwable thrown) {
    for (Throwable current = thrown; current != null; current = current.getCause()) {
      if (current instanceof ApplicationFailure application) {
        return application;
      }
    }
    throw new AssertionError("no ApplicationFailure in the cause chain of " + thrown, thrown);
  }

  private static DumpResult dumpOf(DumpRequest request) {
    return new DumpResult(
        request.backupId(),
        "/var/spool/vigil/" + request.backupId(),
        "pg_dump-custom",
        1_000_000,
        12,
        5_000,
        CONSISTENT_AT,
        "pg_dump (PostgreSQL) 15.18",
        "15.18");
  }

  private static SealResult sealed(DumpResult dump) {
    return new SealResult(
        dump.backupId(), dump.rawBytes(), 400_000, SHA256, "zstd", "AES256_GCM_HKDF_1MB", "key-1");
  }

  private static UploadResult uploaded(int resumedParts) {
    return new UploadResult(
        "vigil-backups", OBJECT_KEY, MANIFEST_KEY, "STANDARD_IA", 400_000, 1, resumedParts);
  }

  private static UploadVerification matching(SealResult sealed) {
    return new UploadVerification(
        sealed.storedBytes(), sealed.sha256(), "STANDARD_IA", "full-read");
  }

  /**
   * The run ends CANCELED within 90 s (a run that does not end waits a day for its steps' retries;
   * a race test that holds a workflow task answer for up to 10 s can take half a minute on a loaded
   * 2-core machine before the server redispatches it), recorded CANCELLED, its spool cleaned, and
   * no workflow task of it failed.
   */
  private void assertEndsCancelledAndCleanedUp(WorkflowStub stub) {
    assertThatThrownBy(() -> stub.getResult(90, SECONDS, SourceBackupResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    assertThat(failed)
        .singleElement()
        .satisfies(failure -> assertThat(failure.failureType()).isEqualTo("CANCELLED"));
    assertThat(calls).contains("cleanSpool");
    assertThat(client.fetchHistory(WORKFLOW_ID).getHistory().getEventsList())
        .noneMatch(event -> event.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
  }

  private void awaitDumpState(PendingActivityState wanted) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      var pending =
          testEnv
              .getWorkflowServiceStubs()
              .blockingStub()
              .describeWorkflowExecution(
                  DescribeWorkflowExecutionRequest.newBuilder()
                      .setNamespace(testEnv.getNamespace())
                      .setExecution(WorkflowExecution.newBuilder().setWorkflowId(WORKFLOW_ID))
                      .build())
              .getPendingActivitiesList();
      if (pending.stream().anyMatch(activity -> activity.getState() == wanted)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the dump never got to " + wanted);
  }

  /**
   * Holds the worker's first workflow-task answer that cancels a step, when armed, until that step
   * has reported its completion: a cancel landing exactly as a step completes.
   */
  private final class HoldCancelOfAStep implements ClientInterceptor {
    volatile boolean armed;
    volatile boolean holdNextAnswer;
    final CountDownLatch stepCompleted = new CountDownLatch(1);
    final CountDownLatch answerHeld = new CountDownLatch(1);
    final CountDownLatch releaseAnswer = new CountDownLatch(1);

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(
        MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          if (method.getBareMethodName().equals("RespondActivityTaskCompleted")) {
            listener =
                new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                  @Override
                  public void onClose(Status status, Metadata trailers) {
                    stepCompleted.countDown();
                    super.onClose(status, trailers);
                  }
                };
          }
          super.start(listener, headers);
        }

        @Override
        public void sendMessage(Q message) {
          if (holdNextAnswer && message instanceof RespondWorkflowTaskCompletedRequest) {
            holdNextAnswer = false;
            answerHeld.countDown();
            try {
              releaseAnswer.await(20, SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          if (armed
              && message instanceof RespondWorkflowTaskCompletedRequest answer
              && answer.getCommandsList().stream()
                  .anyMatch(
                      command ->
                          command.getCommandType()
                              == CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK)) {
            armed = false;
            releaseDump.countDown();
            try {
              stepCompleted.await(10, SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          super.sendMessage(message);
        }
      };
    }
  }

  private static int attempt() {
    return Activity.getExecutionContext().getInfo().getAttempt();
  }

  private static RuntimeException unchecked(Exception exception) {
    return exception instanceof RuntimeException runtime ? runtime : Activity.wrap(exception);
  }

  /** A step a test scripts: what the fake does on the given attempt (1-based). */
  @FunctionalInterface
  private interface Step<I, O> {
    O run(I request, int attempt) throws Exception;
  }

  private final class FakeBackupActivities implements BackupActivities {
    @Override
    public ResolvedPlan resolvePlan(PlanRequest request) {
      throw new UnsupportedOperationException("a source backup resolves no plan");
    }

    @Override
    public HostQueue reserveHost() {
      calls.add("reserveHost");
      return new HostQueue(HOST_ID, HOST_QUEUE);
    }

    @Override
    public void beginBackup(BackupStart start) {
      calls.add("beginBackup");
      begun.add(start);
    }

    @Override
    public UploadVerification verifyUpload(VerifyUploadRequest request) {
      calls.add("verifyUpload");
      try {
        return verifyUpload.run(request, attempt());
      } catch (Exception e) {
        throw unchecked(e);
      }
    }

    @Override
    public void markArchived(ArchiveRequest request) {
      calls.add("markArchived");
      archived.add(request);
    }

    @Override
    public void markFailed(FailRequest request) {
      calls.add("markFailed");
      failed.add(request);
    }

    @Override
    public BackupSetRecord recordBackupSet(BackupSetRequest request) {
      throw new UnsupportedOperationException("a source backup records no set");
    }
  }

  private final class FakeSpoolActivities implements SpoolActivities {
    @Override
    public DumpResult dump(DumpRequest request) {
      calls.add("dump");
      try {
        return dump.run(request, attempt());
      } catch (Exception e) {
        throw unchecked(e);
      }
    }

    @Override
    public VerifyDumpResult verifyDump(VerifyDumpRequest request) {
      calls.add("verifyDump");
      return new VerifyDumpResult(request.dump().entries(), 833_000, List.of(SIZE_WARNING));
    }

    @Override
    public SealResult seal(SealRequest request) {
      calls.add("seal");
      return sealed(request.dump());
    }

    @Override
    public UploadResult upload(UploadRequest request) {
      calls.add("upload");
      try {
        return upload.run(request, attempt());
      } catch (Exception e) {
        throw unchecked(e);
      }
    }

    @Override
    public void cleanSpool(String backupId) {
      calls.add("cleanSpool");
    }
  }
}
