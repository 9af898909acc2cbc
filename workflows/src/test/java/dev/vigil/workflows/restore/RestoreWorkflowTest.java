package dev.vigil.workflows.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.workflows.backup.ArchiveRequest;
import dev.vigil.workflows.backup.BackupActivities;
import dev.vigil.workflows.backup.BackupSetRecord;
import dev.vigil.workflows.backup.BackupSetRequest;
import dev.vigil.workflows.backup.BackupStart;
import dev.vigil.workflows.backup.FailRequest;
import dev.vigil.workflows.backup.HostQueue;
import dev.vigil.workflows.backup.PlanRequest;
import dev.vigil.workflows.backup.ResolvedPlan;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.backup.UploadVerification;
import dev.vigil.workflows.backup.VerifyUploadRequest;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.common.TaskQueues;
import dev.vigil.workflows.common.TestSearchAttributes;
import dev.vigil.workflows.common.TestWorkerOptions;
import io.temporal.activity.Activity;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link RestoreWorkflowImpl} against the Temporal test server with fake activities that record
 * every call. The spool activities poll only the host queue {@code reserveHost} names, so a step
 * sent to the wrong queue would never run.
 */
class RestoreWorkflowTest {
  private static final String HOST_ID = "restore-host";
  private static final String HOST_QUEUE = TaskQueues.host(TaskQueues.DEFAULT, HOST_ID);
  private static final String WORKFLOW_ID =
      RestoreWorkflow.workflowId("orders-db", "20261122T020000Z");
  private static final SelectedBackup BACKUP =
      new SelectedBackup(
          "orders-db-20261121T020000Z",
          "nightly-20261121T020000Z",
          new SourceRef("orders-db", "postgres", "database", "primary"),
          "vigil-backups",
          "prod/orders-db/orders-db-20261121T020000Z/data.vgl",
          "prod/orders-db/orders-db-20261121T020000Z/manifest.json",
          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
          400_000,
          1_000_000,
          1_795_312_800_000L,
          "k-1",
          "pg_dump-custom");
  private static final SelectedBackup PHYSICAL =
      new SelectedBackup(
          "orders-db-20261121T030000Z",
          "nightly-20261121T030000Z",
          new SourceRef("orders-db", "postgres", "database", "primary"),
          "vigil-backups",
          "prod/orders-db/orders-db-20261121T030000Z/data.vgl",
          "prod/orders-db/orders-db-20261121T030000Z/manifest.json",
          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
          400_000,
          1_000_000,
          1_795_316_400_000L,
          "k-1",
          RecoveryTarget.PHYSICAL_FORMAT,
          "0/3000028",
          "0/3000100",
          1);
  private static final long TARGET_MILLIS = 1_795_320_000_000L;
  private static final long LAST_COMMIT_MILLIS = TARGET_MILLIS - 1_500;
  private static final RestoreTarget FRESH =
      new RestoreTarget("fresh-cluster", null, 0, null, null, null, null);
  private static final RestoreTarget RESTORED =
      new RestoreTarget("fresh-cluster", "127.0.0.1", 5999, "orders", "app", "/spool/pw", null);

  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final List<RestoreRecord> recorded = new CopyOnWriteArrayList<>();
  private final CountDownLatch restoreStarted = new CountDownLatch(1);
  private final CountDownLatch releaseRestore = new CountDownLatch(1);
  private volatile int downloadFailuresLeft;
  private volatile ErrorType verifyFails;
  private volatile ErrorType targetFails;
  private volatile boolean blockRestore;
  private volatile boolean validationPasses = true;
  private volatile SelectedBackup selected = BACKUP;
  private volatile RestoreTarget requested = FRESH;
  private volatile RestoreTarget recoveredInto = RESTORED;
  private final List<Object> walRequests = new CopyOnWriteArrayList<>();

  private TestWorkflowEnvironment testEnv;
  private WorkflowClient client;

  @BeforeEach
  void startTestServer() {
    testEnv = TestWorkflowEnvironment.newInstance();
    TestSearchAttributes.register(testEnv);
    Worker shared = testEnv.newWorker(TaskQueues.DEFAULT, TestWorkerOptions.fastHeartbeats());
    shared.registerWorkflowImplementationTypes(RestoreWorkflowImpl.class);
    shared.registerActivitiesImplementations(new FakeRestoreActivities(), new FakeHosts());
    testEnv
        .newWorker(HOST_QUEUE, TestWorkerOptions.fastHeartbeats())
        .registerActivitiesImplementations(new FakeSpool());
    testEnv.start();
    client = testEnv.getWorkflowClient();
  }

  @AfterEach
  void stopTestServer() {
    releaseRestore.countDown();
    testEnv.close();
  }

  @Test
  void happyPathRunsEveryStepInOrderOnTheRightQueuesAndRecordsTheRestore() {
    RestoreResult result = workflow().restore(request());

    assertThat(calls)
        .containsExactly(
            "selectBackup",
            "reserveHost",
            "checkTarget",
            "downloadBackup",
            "verifyBackup",
            "unsealBackup",
            "restoreBackup",
            "validateRestore",
            "recordRestore",
            "cleanRestoreSpool");
    assertThat(result.status()).isEqualTo("RESTORED");
    assertThat(result.backupId()).isEqualTo(BACKUP.backupId());
    assertThat(result.target()).isEqualTo(RESTORED);
    assertThat(result.consistentAtMillis()).isEqualTo(BACKUP.consistentAtMillis());
    assertThat(result.failure()).isNull();
    assertThat(result.steps())
        .extracting(StepTiming::step)
        .containsExactly(
            "select",
            "reserve-host",
            "check-target",
            "download",
            "verify",
            "decrypt",
            "restore",
            "validate",
            "record");
    assertThat(recorded)
        .singleElement()
        .satisfies(
            record -> {
              assertThat(record.restoreId()).isEqualTo(WORKFLOW_ID);
              assertThat(record.status()).isEqualTo("RESTORED");
              assertThat(record.target()).isEqualTo(RESTORED);
              assertThat(record.requestedBy()).isEqualTo("test");
            });
  }

  @Test
  void aBrokenDownloadIsRetriedAndThenSucceeds() {
    downloadFailuresLeft = 2;

    RestoreResult result = workflow().restore(request());

    assertThat(result.status()).isEqualTo("RESTORED");
    assertThat(calls.stream().filter("downloadBackup"::equals)).hasSize(3);
  }

  @Test
  void aCorruptObjectFailsAtOnceIsRecordedAndTheSpoolIsCleaned() {
    verifyFails = ErrorType.OBJECT_CORRUPT;

    assertThatThrownBy(() -> workflow().restore(request()))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            failure -> {
              assertThat(Failures.type(failure)).isEqualTo("OBJECT_CORRUPT");
              assertThat(Failures.reason(failure)).contains("failed at verify: object corrupt");
            });

    assertThat(calls)
        .containsExactly(
            "selectBackup",
            "reserveHost",
            "checkTarget",
            "downloadBackup",
            "verifyBackup",
            "discardEarlyLoad",
            "stopFreshCluster",
            "recordRestore",
            "cleanRestoreSpool");
    assertThat(recorded)
        .singleElement()
        .satisfies(
            record -> {
              assertThat(record.status()).isEqualTo("FAILED");
              assertThat(record.failureType()).isEqualTo("OBJECT_CORRUPT");
              assertThat(record.failure()).isEqualTo("verify: object corrupt");
            });
  }

  @Test
  void aTargetThatCannotBeUsedFailsBeforeAnythingIsDownloaded() {
    targetFails = ErrorType.TARGET_NOT_EMPTY;

    assertThatThrownBy(() -> workflow().restore(request()))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            failure -> {
              assertThat(Failures.type(failure)).isEqualTo("TARGET_NOT_EMPTY");
              assertThat(Failures.reason(failure))
                  .contains("failed at check-target: target not empty");
            });

    assertThat(calls)
        .containsExactly(
            "selectBackup",
            "reserveHost",
            "checkTarget",
            "stopFreshCluster",
            "recordRestore",
            "cleanRestoreSpool");
    assertThat(recorded.get(0).failureType()).isEqualTo("TARGET_NOT_EMPTY");
    assertThat(recorded.get(0).steps()).extracting(StepTiming::step).doesNotContain("download");
  }

  @Test
  void anUnknownBackupFailsBeforeAHostIsReservedAndIsRecorded() {
    RestoreRequest unknown =
        new RestoreRequest(new RestoreSelector("orders-db", "nope", 0), FRESH, false, 0, "test");

    assertThatThrownBy(() -> workflow().restore(unknown))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(failure -> assertThat(Failures.type(failure)).isEqualTo("BACKUP_NOT_FOUND"));

    assertThat(calls).containsExactly("selectBackup", "recordRestore");
    assertThat(recorded.get(0).backupId()).isEqualTo("nope");
    assertThat(recorded.get(0).failure()).startsWith("select: no backup");
  }

  @Test
  void aFailedValidationEndsFailedWithItsReasonButKeepsTheResult() {
    validationPasses = false;

    RestoreResult result = workflow().restore(request());

    assertThat(result.status()).isEqualTo("FAILED");
    assertThat(result.failure())
        .isEqualTo("validate: public.orders: 9 rows, the backup recorded 10");
    assertThat(recorded.get(0).failureType()).isEqualTo("VALIDATION_FAILED");
    assertThat(calls).endsWith("recordRestore", "cleanRestoreSpool");
    assertThat(calls)
        .as("a completed restore step keeps what it restored, validated or not")
        .doesNotContain("discardEarlyLoad");
  }

  @Test
  void cancellingStopsTheRunningStepBeforeCleaningUpAndIsRecorded() throws Exception {
    blockRestore = true;
    RestoreWorkflow workflow = workflow();
    WorkflowClient.start(workflow::restore, request());
    assertThat(restoreStarted.await(10, TimeUnit.SECONDS)).isTrue();
    WorkflowStub stub = WorkflowStub.fromTyped(workflow);

    stub.cancel();

    assertThatThrownBy(() -> stub.getResult(RestoreResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    assertThat(calls)
        .as("the cancelled step stops before the cluster is stopped and the spool cleaned")
        .endsWith(
            "restoreBackup",
            "restore-ended",
            "discardEarlyLoad",
            "stopFreshCluster",
            "recordRestore",
            "cleanRestoreSpool");
    assertThat(recorded.get(0).failureType()).isEqualTo("CANCELLED");
    assertThat(recorded.get(0).failure()).isEqualTo("restore: cancelled");
  }

  @Test
  void aPhysicalBackupFetchesTheWalBeforeTheDownloadAndReportsThePointRecovered() {
    selected = PHYSICAL;

    RestoreResult result =
        workflow()
            .restore(
                new RestoreRequest(
                    new RestoreSelector("orders-db", null, TARGET_MILLIS), FRESH, false, 2, "t"));

    assertThat(calls)
        .containsExactly(
            "selectBackup",
            "reserveHost",
            "checkTarget",
            "fetchWal",
            "downloadBackup",
            "verifyBackup",
            "unsealBackup",
            "recoverPhysical",
            "validateRestore",
            "recordRestore",
            "cleanRestoreSpool");
    // --at without an explicit target means: replay to that time.
    WalFetchRequest fetch = (WalFetchRequest) walRequests.get(0);
    assertThat(fetch.recovery()).isEqualTo(RecoveryTarget.time(TARGET_MILLIS));
    RecoveryRequest recover = (RecoveryRequest) walRequests.get(1);
    assertThat(recover.wal().segments()).isEqualTo(5);
    assertThat(result.consistentAtMillis()).isEqualTo(LAST_COMMIT_MILLIS);
    assertThat(result.recovered().lsn()).isEqualTo("0/7000160");
    assertThat(result.target()).isEqualTo(RESTORED);
    assertThat(result.validation().checks())
        .containsExactly(
            "recovered to 2026-11-21T04:59:58.500Z (last replayed commit), LSN 0/7000160",
            "public.orders: 10 rows as recorded");
    assertThat(result.steps().stream().map(StepTiming::step))
        .containsExactly(
            "select",
            "reserve-host",
            "check-target",
            "fetch-wal",
            "download",
            "verify",
            "decrypt",
            "restore",
            "validate",
            "record");
  }

  @Test
  void aPhysicalBackupWithoutATargetReplaysToTheEndOfTheArchive() {
    selected = PHYSICAL;

    workflow().restore(request());

    assertThat(((WalFetchRequest) walRequests.get(0)).recovery())
        .isEqualTo(RecoveryTarget.latest());
  }

  @Test
  void backupOnlyRestoresThePhysicalBackupWithoutWal() {
    selected = PHYSICAL;

    RestoreResult result =
        workflow()
            .restore(
                new RestoreRequest(
                    new RestoreSelector("orders-db", null, 0, RecoveryTarget.backupOnly()),
                    FRESH,
                    false,
                    2,
                    "t"));

    assertThat(calls).doesNotContain("fetchWal", "recoverPhysical").contains("restoreBackup");
    assertThat(result.consistentAtMillis()).isEqualTo(PHYSICAL.consistentAtMillis());
    assertThat(result.recovered()).isNull();
  }

  @Test
  void aPhysicalBackupIntoADataDirectoryIsStoppedAndHandedOverOnceItValidates() {
    selected = PHYSICAL;
    requested = RestoreTarget.directory("/srv/restore/data");
    recoveredInto = dataDirectoryOnTemporaryServer();

    RestoreResult result =
        workflow()
            .restore(
                new RestoreRequest(
                    new RestoreSelector("orders-db", null, TARGET_MILLIS),
                    requested,
                    false,
                    2,
                    "t"));

    assertThat(calls)
        .containsSubsequence(
            "recoverPhysical",
            "validateRestore",
            "finishDataDirectory",
            "recordRestore",
            "cleanRestoreSpool")
        .doesNotContain("stopFreshCluster");
    RestoreTarget handedOver =
        new RestoreTarget(
            RestoreWorkflowImpl.DATA_DIRECTORY, null, 0, null, null, null, "/srv/restore/data");
    assertThat(result.status()).isEqualTo("RESTORED");
    assertThat(result.target()).isEqualTo(handedOver);
    assertThat(recorded.get(0).target()).isEqualTo(handedOver);
    assertThat(result.recovered().lsn()).isEqualTo("0/7000160");
    assertThat(result.steps().stream().map(StepTiming::step))
        .endsWith("restore", "validate", "stop-server", "record");
  }

  @Test
  void aDataDirectoryThatFailsValidationIsDiscardedNotHandedOver() {
    selected = PHYSICAL;
    requested = RestoreTarget.directory("/srv/restore/data");
    recoveredInto = dataDirectoryOnTemporaryServer();
    validationPasses = false;

    RestoreResult result =
        workflow()
            .restore(
                new RestoreRequest(
                    new RestoreSelector("orders-db", null, TARGET_MILLIS),
                    requested,
                    false,
                    2,
                    "t"));

    assertThat(result.status()).isEqualTo("FAILED");
    assertThat(calls)
        .containsSubsequence("validateRestore", "stopFreshCluster", "recordRestore")
        .doesNotContain("finishDataDirectory");
  }

  private static RestoreTarget dataDirectoryOnTemporaryServer() {
    return new RestoreTarget(
        RestoreWorkflowImpl.DATA_DIRECTORY,
        "127.0.0.1",
        5998,
        "orders",
        "app",
        "/spool/clusters/r/pw",
        "/srv/restore/data");
  }

  @Test
  void aDumpIgnoresTheRecoveryTarget() {
    RestoreResult result =
        workflow()
            .restore(
                new RestoreRequest(
                    new RestoreSelector(
                        "orders-db", null, TARGET_MILLIS, RecoveryTarget.time(TARGET_MILLIS)),
                    FRESH,
                    false,
                    2,
                    "t"));

    assertThat(calls).doesNotContain("fetchWal", "recoverPhysical").contains("restoreBackup");
    assertThat(result.recovered()).isNull();
  }

  private RestoreWorkflow workflow() {
    return client.newWorkflowStub(
        RestoreWorkflow.class,
        WorkflowOptions.newBuilder()
            .setTaskQueue(TaskQueues.DEFAULT)
            .setWorkflowId(WORKFLOW_ID)
            .build());
  }

  private static RestoreRequest request() {
    return new RestoreRequest(RestoreSelector.latest("orders-db"), FRESH, false, 2, "test");
  }

  private final class FakeRestoreActivities implements RestoreActivities {
    @Override
    public SelectedBackup selectBackup(RestoreSelector selector) {
      calls.add("selectBackup");
      if ("nope".equals(selector.backupId())) {
        throw ErrorType.BACKUP_NOT_FOUND.failure("no backup with id 'nope' in the catalog");
      }
      return selected;
    }

    @Override
    public void recordRestore(RestoreRecord record) {
      calls.add("recordRestore");
      recorded.add(record);
    }
  }

  private final class FakeSpool implements RestoreSpoolActivities {
    @Override
    public WalRange fetchWal(WalFetchRequest request) {
      calls.add("fetchWal");
      walRequests.add(request);
      return new WalRange(
          "000000010000000000000003",
          "000000010000000000000007",
          5,
          5L << 24,
          LAST_COMMIT_MILLIS,
          "000000010000000000000007",
          null);
    }

    @Override
    public RecoveredPoint recoverPhysical(RecoveryRequest request) {
      calls.add("recoverPhysical");
      walRequests.add(request);
      return new RecoveredPoint(
          recoveredInto,
          "0/7000160",
          LAST_COMMIT_MILLIS,
          LAST_COMMIT_MILLIS,
          "recovered to 2026-11-21T04:59:58.500Z (last replayed commit), LSN 0/7000160");
    }

    @Override
    public void checkTarget(RestoreDataRequest request) {
      calls.add("checkTarget");
      assertThat(request.target()).isEqualTo(requested);
      if (targetFails != null) {
        throw targetFails.failure("target not empty");
      }
    }

    @Override
    public DownloadResult downloadBackup(DownloadRequest request) {
      calls.add("downloadBackup");
      if (downloadFailuresLeft > 0) {
        downloadFailuresLeft--;
        throw ErrorType.REPOSITORY_UNAVAILABLE.failure("the store did not answer");
      }
      return new DownloadResult("/spool/data.vgl", BACKUP.storedBytes(), BACKUP.sha256(), 0);
    }

    @Override
    public VerifiedBackup verifyBackup(VerifyRequest request) {
      calls.add("verifyBackup");
      if (verifyFails != null) {
        throw verifyFails.failure("object corrupt");
      }
      return new VerifiedBackup("pg_dump-custom", 1, 10);
    }

    @Override
    public UnsealResult unsealBackup(UnsealRequest request) {
      calls.add("unsealBackup");
      return new UnsealResult("/spool/restore.pgc", BACKUP.rawBytes());
    }

    @Override
    public RestoreTarget restoreBackup(RestoreDataRequest request) {
      calls.add("restoreBackup");
      assertThat(request.parallelJobs()).isEqualTo(2);
      if (blockRestore) {
        restoreStarted.countDown();
        try {
          // Heartbeats deliver the cancellation, as pg_restore's progress callback does.
          while (!releaseRestore.await(50, TimeUnit.MILLISECONDS)) {
            Activity.getExecutionContext().heartbeat(null);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          calls.add("restore-ended");
        }
      }
      return RESTORED;
    }

    @Override
    public ValidationResult validateRestore(ValidateRequest request) {
      calls.add("validateRestore");
      assertThat(request.target()).isEqualTo(recoveredInto);
      return validationPasses
          ? new ValidationResult(true, List.of("public.orders: 10 rows as recorded"), List.of())
          : new ValidationResult(
              false, List.of(), List.of("public.orders: 9 rows, the backup recorded 10"));
    }

    @Override
    public void discardEarlyLoad(RestoreDataRequest request) {
      calls.add("discardEarlyLoad");
    }

    @Override
    public void cleanRestoreSpool(String restoreId) {
      calls.add("cleanRestoreSpool");
    }

    @Override
    public void stopFreshCluster(String restoreId) {
      calls.add("stopFreshCluster");
    }

    @Override
    public RestoreTarget finishDataDirectory(String restoreId) {
      calls.add("finishDataDirectory");
      return new RestoreTarget(
          RestoreWorkflowImpl.DATA_DIRECTORY, null, 0, null, null, null, "/srv/restore/data");
    }
  }

  private final class FakeHosts implements BackupActivities {
    @Override
    public HostQueue reserveHost() {
      calls.add("reserveHost");
      return new HostQueue(HOST_ID, HOST_QUEUE);
    }

    @Override
    public ResolvedPlan resolvePlan(PlanRequest request) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void beginBackup(BackupStart start) {
      throw new UnsupportedOperationException();
    }

    @Override
    public UploadVerification verifyUpload(VerifyUploadRequest request) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void markArchived(ArchiveRequest request) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void markFailed(FailRequest request) {
      throw new UnsupportedOperationException();
    }

    @Override
    public BackupSetRecord recordBackupSet(BackupSetRequest request) {
      throw new UnsupportedOperationException();
    }
  }
}
