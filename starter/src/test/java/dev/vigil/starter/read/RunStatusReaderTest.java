package dev.vigil.starter.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.workflows.backup.BackupPlanWorkflow;
import dev.vigil.workflows.backup.PlanRequest;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupRequest;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.backup.SourceBackupWorkflow;
import dev.vigil.workflows.backup.SourceProgress;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.backup.UploadProgress;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Live status from Temporal's test server: a backup blocked in an upload that heartbeats, after one
 * failed attempt; the same run once finished; a run that failed for good; a plan with its open
 * child; an unknown id.
 */
class RunStatusReaderTest {
  private static final String QUEUE = "run-status-test";
  private static volatile CountDownLatch release;

  private TestWorkflowEnvironment testEnv;
  private WorkflowClient client;
  private RunStatusReader reader;

  /** Stands in for the upload: fails once, then heartbeats 512 of 2048 bytes and waits. */
  @ActivityInterface
  public interface FakeUpload {
    long upload(String mode);
  }

  public static final class FakeUploadImpl implements FakeUpload {
    @Override
    public long upload(String mode) {
      var context = Activity.getExecutionContext();
      if (mode.equals("fail")) {
        throw ApplicationFailure.newNonRetryableFailure(
            "source appdb unreachable: connection refused", "SOURCE_UNREACHABLE");
      }
      if (context.getInfo().getAttempt() == 1) {
        throw ApplicationFailure.newFailure("S3 said 503 slow down", "STORE_UNAVAILABLE");
      }
      context.heartbeat(new UploadProgress("k", "u-1", 256, 2, 512, 2048));
      try {
        while (!release.await(200, TimeUnit.MILLISECONDS)) {
          context.heartbeat(new UploadProgress("k", "u-1", 256, 2, 512, 2048));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 2048;
    }
  }

  public static final class FakeSourceBackup implements SourceBackupWorkflow {
    private final FakeUpload upload =
        Workflow.newActivityStub(
            FakeUpload.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofMinutes(1))
                .setHeartbeatTimeout(Duration.ofSeconds(10))
                .setRetryOptions(
                    RetryOptions.newBuilder()
                        .setInitialInterval(Duration.ofMillis(100))
                        .setMaximumAttempts(3)
                        .build())
                .build());
    private String step = "dump";
    private String source = "";

    @Override
    public SourceBackupResult backup(SourceBackupRequest request) {
      source = request.source().name();
      step = "upload";
      long bytes = upload.upload(request.backupId());
      step = "done";
      return new SourceBackupResult(
          request.backupId(),
          request.source(),
          "ARCHIVED",
          bytes,
          bytes,
          null,
          null,
          null,
          null,
          null,
          null,
          0,
          List.of(),
          List.of(),
          null,
          null);
    }

    @Override
    public SourceProgress progress() {
      return new SourceProgress("b-1", source, step, "RUNNING");
    }
  }

  public static final class FakePlan implements BackupPlanWorkflow {
    private final List<SourceProgress> progress = new ArrayList<>();

    @Override
    public PlanResult run(PlanRequest request) {
      progress.add(new SourceProgress("b-1", "appdb", "upload", "RUNNING"));
      SourceBackupWorkflow child =
          Workflow.newChildWorkflowStub(
              SourceBackupWorkflow.class,
              ChildWorkflowOptions.newBuilder().setWorkflowId("backup-appdb-child").build());
      SourceBackupResult result = child.backup(request("ok"));
      return new PlanResult("s", request.plan(), "COMPLETE", null, 0, 0, List.of(result));
    }

    @Override
    public List<SourceProgress> progress() {
      return progress;
    }
  }

  @BeforeEach
  void startTestServer() {
    release = new CountDownLatch(1);
    // Real time: the activity blocks on purpose, which time skipping would turn into a timeout.
    testEnv =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    var worker = testEnv.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(FakeSourceBackup.class, FakePlan.class);
    worker.registerActivitiesImplementations(new FakeUploadImpl());
    testEnv.start();
    client = testEnv.getWorkflowClient();
    reader = new RunStatusReader(client);
  }

  @AfterEach
  void stopTestServer() {
    release.countDown();
    testEnv.close();
  }

  @Test
  void runningBackupShowsStepAttemptBytesAndLastFailureThenCompletes() {
    SourceBackupWorkflow backup = stub(SourceBackupWorkflow.class, "backup-appdb-1");
    WorkflowClient.start(backup::backup, request("ok"));

    RunStatus running =
        await(
            "backup-appdb-1",
            status ->
                !status.activities().isEmpty()
                    && status.activities().get(0).bytesDone() != null
                    && status.step() != null);

    assertThat(running.state()).isEqualTo("RUNNING");
    assertThat(running.workflowType()).isEqualTo("SourceBackupWorkflow");
    assertThat(running.step()).isEqualTo("upload");
    assertThat(running.startedAt()).isBefore(Instant.now().plusSeconds(1));
    assertThat(running.closedAt()).isNull();
    ActivityProgress upload = running.activities().get(0);
    assertThat(upload.activityType()).isEqualTo("Upload");
    assertThat(upload.attempt()).isEqualTo(2);
    assertThat(upload.bytesDone()).isEqualTo(512L);
    assertThat(upload.bytesTotal()).isEqualTo(2048L);
    assertThat(upload.lastFailure()).isEqualTo("STORE_UNAVAILABLE: S3 said 503 slow down");
    assertThat(upload.lastHeartbeat()).isNotNull();

    release.countDown();
    RunStatus done = await("backup-appdb-1", RunStatus::closed);

    assertThat(done.state()).isEqualTo("COMPLETED");
    assertThat(done.closedAt()).isNotNull();
    assertThat(done.activities()).isEmpty();
    assertThat(done.failure()).isNull();
    assertThat(done.runId()).isEqualTo(running.runId());
  }

  @Test
  void failedBackupSaysWhyInOneLine() {
    SourceBackupWorkflow backup = stub(SourceBackupWorkflow.class, "backup-appdb-2");
    WorkflowClient.start(backup::backup, request("fail"));

    RunStatus failed = await("backup-appdb-2", RunStatus::closed);

    assertThat(failed.state()).isEqualTo("FAILED");
    assertThat(failed.failure())
        .isEqualTo("SOURCE_UNREACHABLE: source appdb unreachable: connection refused");
    assertThat(failed.step()).isNull();
  }

  @Test
  void planShowsEverySourceStepAndItsOpenChildWithItsUpload() {
    BackupPlanWorkflow plan = stub(BackupPlanWorkflow.class, "backup-set-nightly-1");
    WorkflowClient.start(plan::run, new PlanRequest("nightly", List.of("appdb"), 0, "test"));

    RunStatus status =
        await(
            "backup-set-nightly-1",
            run ->
                run.children().size() == 1
                    && !run.children().get(0).activities().isEmpty()
                    && run.children().get(0).activities().get(0).bytesDone() != null);

    assertThat(status.workflowType()).isEqualTo("BackupPlanWorkflow");
    assertThat(status.step()).isEqualTo("appdb: upload");
    RunStatus child = status.children().get(0);
    assertThat(child.workflowId()).isEqualTo("backup-appdb-child");
    assertThat(child.state()).isEqualTo("RUNNING");
    assertThat(child.activities().get(0).bytesDone()).isEqualTo(512L);

    release.countDown();
    RunStatus done =
        await("backup-set-nightly-1", run -> run.closed() && !run.children().isEmpty());

    assertThat(done.state()).isEqualTo("COMPLETED");
    assertThat(done.children())
        .extracting(RunStatus::workflowId, RunStatus::state)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("backup-appdb-child", "COMPLETED"));
  }

  @Test
  void unknownRunIsNotFound() {
    assertThatThrownBy(() -> reader.status("backup-nope-1"))
        .isInstanceOf(RunNotFoundException.class)
        .hasMessageContaining("'backup-nope-1' not found")
        .satisfies(
            e -> assertThat(((RunNotFoundException) e).workflowId()).isEqualTo("backup-nope-1"));
  }

  private static SourceBackupRequest request(String mode) {
    return new SourceBackupRequest(
        mode, "s", new SourceRef("appdb", "postgres", "database", "r"), "t");
  }

  private <T> T stub(Class<T> type, String workflowId) {
    return client.newWorkflowStub(
        type, WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(workflowId).build());
  }

  private RunStatus await(String workflowId, Predicate<RunStatus> condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    RunStatus last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = reader.status(workflowId);
        if (condition.test(last)) {
          return last;
        }
      } catch (RunNotFoundException e) {
        // Not started yet.
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("condition not met in 30 s; last status: " + last);
  }
}
