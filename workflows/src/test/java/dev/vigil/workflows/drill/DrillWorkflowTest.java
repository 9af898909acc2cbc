package dev.vigil.workflows.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.vigil.workflows.backup.HostQueue;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.common.TaskQueues;
import dev.vigil.workflows.common.TestSearchAttributes;
import dev.vigil.workflows.notify.NotificationEvent;
import dev.vigil.workflows.notify.NotifyResult;
import dev.vigil.workflows.notify.NotifyWorkflow;
import dev.vigil.workflows.notify.NotifyWorkflowImpl;
import dev.vigil.workflows.notify.RecordingNotifyActivities;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.RestoreWorkflow;
import dev.vigil.workflows.restore.ValidationResult;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DrillWorkflowImpl} on the Temporal test server with time skipping; the activities and the
 * child {@link RestoreWorkflow} are fakes whose timings and outcomes each test chooses.
 */
class DrillWorkflowTest {
  private static final String HOST_ID = "test-host";
  private static final String HOST_QUEUE = TaskQueues.host(TaskQueues.DEFAULT, HOST_ID);
  private static final String PLAN = "quarterly";
  private static final long HOUR = Duration.ofHours(1).toMillis();
  private static final long MINUTE = Duration.ofMinutes(1).toMillis();
  // Time skipping still lets a little real time pass between the steps.
  private static final long SLACK = 5_000;

  /** What the fake restore of a source does. */
  record Restore(Duration takes, long consistentAtMillis, ValidationResult validation) {}

  private final Map<String, Restore> restores = new ConcurrentHashMap<>();
  private final List<EnvironmentRequest> created = new CopyOnWriteArrayList<>();
  private final List<String> tornDown = new CopyOnWriteArrayList<>();
  private final List<DrillReport> recorded = new CopyOnWriteArrayList<>();
  private final List<RestoreRequest> restoreRequests = new CopyOnWriteArrayList<>();
  private volatile DrillPlan plan;
  private volatile boolean noBackupSet;
  private volatile boolean environmentFails;
  private volatile long consistentAtInCatalog;

  private final RecordingNotifyActivities notifier = new RecordingNotifyActivities();
  private TestWorkflowEnvironment testEnv;
  private WorkflowClient client;
  private long now;

  @BeforeEach
  void startTestServer() {
    testEnv = TestWorkflowEnvironment.newInstance();
    TestSearchAttributes.register(testEnv);
    Worker shared = testEnv.newWorker(TaskQueues.DEFAULT);
    shared.registerWorkflowImplementationTypes(DrillWorkflowImpl.class, NotifyWorkflowImpl.class);
    shared.registerWorkflowImplementationFactory(RestoreWorkflow.class, FakeRestore::new);
    shared.registerActivitiesImplementations(new FakeDrillActivities(), notifier);
    testEnv.newWorker(HOST_QUEUE).registerActivitiesImplementations(new FakeDrillActivities());
    testEnv.start();
    client = testEnv.getWorkflowClient();
    now = testEnv.currentTimeMillis();
    consistentAtInCatalog = now - 3 * HOUR;
    plan =
        new DrillPlan(
            PLAN,
            List.of(
                new DrillSource("appdb", "postgres", "database", "app", DrillObjectives.NONE),
                new DrillSource("models", "directory", "model", null, DrillObjectives.NONE)),
            DrillObjectives.NONE,
            2);
  }

  @AfterEach
  void stopTestServer() {
    testEnv.close();
  }

  @Test
  void rtoIsFromDrillStartToValidatedPerComponentAndRpoIsDrillStartMinusConsistentPoint() {
    restores.put("appdb", restored(Duration.ofMinutes(10), now - 2 * HOUR));
    restores.put("models", restored(Duration.ofMinutes(25), now - 5 * HOUR));

    DrillReport report = drill();

    assertThat(report.status()).isEqualTo(DrillReport.PASSED);
    assertThat(report.failures()).isEmpty();
    assertThat(report.drillId()).isEqualTo(DrillWorkflow.drillId(PLAN, report.startedAtMillis()));
    assertThat(report.setId()).isEqualTo("nightly-set");
    DrillComponent appdb = report.components().get(0);
    DrillComponent models = report.components().get(1);
    assertThat(appdb.source()).isEqualTo("appdb");
    assertThat(appdb.rtoMillis()).isCloseTo(10 * MINUTE, within(SLACK));
    assertThat(appdb.restoreMillis()).isCloseTo(10 * MINUTE, within(SLACK));
    assertThat(appdb.rpoMillis()).isCloseTo(2 * HOUR, within(SLACK));
    assertThat(models.rtoMillis()).isCloseTo(25 * MINUTE, within(SLACK));
    assertThat(models.rpoMillis()).isCloseTo(5 * HOUR, within(SLACK));
    assertThat(report.totalRtoMillis()).isEqualTo(models.rtoMillis());
    assertThat(report.worstRpoMillis()).isEqualTo(models.rpoMillis());
    assertThat(appdb.validation()).isEqualTo("passed (1 check)");
    assertThat(appdb.steps()).extracting(StepTiming::step).containsExactly("restore");
    assertThat(report.components()).allSatisfy(c -> assertThat(c.passed()).isTrue());
    assertThat(recorded).containsExactly(report);
    assertThat(created)
        .singleElement()
        .satisfies(e -> assertThat(e.drillId()).isEqualTo(report.drillId()));
    assertThat(tornDown).containsExactly(report.drillId());
  }

  @Test
  void eachRestoreGoesIntoTheFreshEnvironmentAsAChildOfTheDrill() {
    restores.put("appdb", restored(Duration.ofMinutes(1), now - HOUR));
    restores.put("models", restored(Duration.ofMinutes(1), now - HOUR));

    DrillReport report = drill();

    assertThat(restoreRequests)
        .extracting(r -> r.selector().backupId())
        .containsExactlyInAnyOrder("appdb-1", "models-1");
    RestoreRequest appdb =
        restoreRequests.stream()
            .filter(r -> r.selector().source().equals("appdb"))
            .findFirst()
            .orElseThrow();
    assertThat(appdb.target().port()).isEqualTo(54999);
    assertThat(appdb.target().passwordFile()).isEqualTo("/scratch/secrets/pw");
    assertThat(appdb.force()).isFalse();
    assertThat(appdb.requestedBy()).isEqualTo("drill " + report.drillId());
  }

  @Test
  void rpoFallsBackToTheCatalogsConsistentPointWhenTheRestoreReportsNone() {
    restores.put("appdb", restored(Duration.ofMinutes(1), 0));
    restores.put("models", restored(Duration.ofMinutes(1), 0));

    DrillReport report = drill();

    assertThat(report.worstRpoMillis()).isCloseTo(3 * HOUR, within(SLACK));
  }

  @Test
  void aBreachedComponentObjectiveFailsTheDrillNamingSourceMeasureAndObjective() {
    plan =
        new DrillPlan(
            PLAN,
            List.of(
                new DrillSource(
                    "appdb", "postgres", "database", "app", new DrillObjectives(5 * MINUTE, HOUR)),
                new DrillSource("models", "directory", "model", null, DrillObjectives.NONE)),
            DrillObjectives.NONE,
            2);
    restores.put("appdb", restored(Duration.ofMinutes(10), now - 2 * HOUR));
    restores.put("models", restored(Duration.ofMinutes(1), now - HOUR));

    DrillReport report = drill();

    assertThat(report.status()).isEqualTo(DrillReport.FAILED);
    assertThat(report.failures())
        .hasSize(2)
        .anySatisfy(f -> assertThat(f).matches("appdb: RTO 10m 0\\ds exceeds the objective 5m 00s"))
        .anySatisfy(
            f ->
                assertThat(f)
                    .startsWith("appdb: RPO 2h 00m exceeds the objective 1h 00m (backup appdb-1)"));
    assertThat(report.components().get(0).passed()).isFalse();
    assertThat(report.components().get(1).passed()).isTrue();
    assertThat(recorded).singleElement().extracting(DrillReport::status).isEqualTo("FAILED");
    assertThat(tornDown).hasSize(1);
  }

  @Test
  void aBreachedPlanObjectiveFailsTheDrillOnItsTotal() {
    plan =
        new DrillPlan(
            PLAN, plan.sources(), new DrillObjectives(15 * MINUTE, 4 * HOUR), plan.maxParallel());
    restores.put("appdb", restored(Duration.ofMinutes(10), now - HOUR));
    restores.put("models", restored(Duration.ofMinutes(20), now - 5 * HOUR));

    DrillReport report = drill();

    assertThat(report.status()).isEqualTo(DrillReport.FAILED);
    assertThat(report.components()).allSatisfy(c -> assertThat(c.passed()).isTrue());
    assertThat(report.failures()).hasSize(2);
    assertThat(report.failures().get(0))
        .matches("total RTO 20m 0\\ds exceeds the plan's objective 15m 00s");
    assertThat(report.failures().get(1))
        .isEqualTo("worst RPO 5h 00m exceeds the plan's objective 4h 00m");

    // The notifier gets the outcome with RTO and RPO against the objectives.
    client
        .newUntypedWorkflowStub(NotifyWorkflow.workflowId(report.drillId()))
        .getResult(NotifyResult.class);
    NotificationEvent event = notifier.delivered.get(0).event();
    assertThat(event.event()).isEqualTo("drill");
    assertThat(event.outcome()).isEqualTo("failure");
    assertThat(event.errorCode()).isEqualTo("DRILL_FAILED");
    assertThat(event.message()).startsWith("total RTO 20m").endsWith("(and 1 more)");
    assertThat(event.rtoMillis()).isEqualTo(report.totalRtoMillis());
    assertThat(event.rpoMillis()).isEqualTo(report.worstRpoMillis());
    assertThat(event.rtoObjectiveMillis()).isEqualTo(15 * MINUTE);
    assertThat(event.rpoObjectiveMillis()).isEqualTo(4 * HOUR);
  }

  @Test
  void aFailedValidationFailsTheDrillWithWhatFailed() {
    restores.put(
        "appdb",
        new Restore(
            Duration.ofMinutes(3),
            now - HOUR,
            new ValidationResult(
                false,
                List.of("customers: 10000 rows as recorded"),
                List.of("conversations: 99999 rows; expected = 100000"))));
    restores.put("models", restored(Duration.ofMinutes(1), now - HOUR));

    DrillReport report = drill();

    assertThat(report.status()).isEqualTo(DrillReport.FAILED);
    DrillComponent appdb = report.components().get(0);
    assertThat(appdb.passed()).isFalse();
    assertThat(appdb.validation())
        .isEqualTo("failed: conversations: 99999 rows; expected = 100000");
    assertThat(appdb.checks()).containsExactly("customers: 10000 rows as recorded");
    assertThat(report.failures())
        .containsExactly("appdb: validation failed: conversations: 99999 rows; expected = 100000");
  }

  @Test
  void aRestoreThatFailsOnValidationFailsTheDrillWithTheRestoresReason() {
    restores.put("appdb", new Restore(Duration.ofMinutes(1), -1, null));
    restores.put("models", restored(Duration.ofMinutes(1), now - HOUR));

    DrillReport report = drill();

    assertThat(report.status()).isEqualTo(DrillReport.FAILED);
    assertThat(report.components().get(0).status()).isEqualTo("FAILED");
    assertThat(report.failures())
        .containsExactly("appdb: validation failed: table conversations: 5 rows, manifest says 6");
    assertThat(tornDown).hasSize(1);
  }

  @Test
  void noCompleteBackupSetFailsTheDrillWithoutAnEnvironment() {
    noBackupSet = true;

    DrillReport report = drill();

    assertThat(report.status()).isEqualTo(DrillReport.FAILED);
    assertThat(report.setId()).isNull();
    assertThat(report.components()).isEmpty();
    assertThat(report.failures())
        .containsExactly("select-backup-set: no backup set has every source; run a backup first");
    assertThat(created).isEmpty();
    assertThat(tornDown).isEmpty();
    assertThat(recorded).containsExactly(report);
  }

  @Test
  void anEnvironmentThatCannotBeCreatedIsStillTornDown() {
    environmentFails = true;

    DrillReport report = drill();

    assertThat(report.status()).isEqualTo(DrillReport.FAILED);
    assertThat(report.failures())
        .containsExactly("create-environment: initdb failed: no space left on device");
    assertThat(tornDown).containsExactly(report.drillId());
    assertThat(restoreRequests).isEmpty();
  }

  @Test
  void aCancelledDrillStopsItsRestoresTearsDownAndIsRecorded() throws Exception {
    restores.put("appdb", restored(Duration.ofDays(1), now - HOUR));
    restores.put("models", restored(Duration.ofDays(1), now - HOUR));
    String drillId = DrillWorkflow.drillId(PLAN, now);
    DrillWorkflow workflow = newDrill(drillId);
    WorkflowClient.start(workflow::drill, new DrillRequest(PLAN, now, "test"));
    // Without a client waiting on a result the test server does not skip time: the restores hold.
    while (restoreRequests.size() < 2) {
      Thread.sleep(20);
    }

    WorkflowStub.fromTyped(workflow).cancel();

    assertThatThrownBy(() -> WorkflowStub.fromTyped(workflow).getResult(DrillReport.class))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    assertThat(tornDown).containsExactly(drillId);
    assertThat(recorded)
        .singleElement()
        .satisfies(
            report -> {
              assertThat(report.status()).isEqualTo(DrillReport.FAILED);
              assertThat(report.failures()).contains("cancelled during restore");
              assertThat(report.components())
                  .allSatisfy(c -> assertThat(c.status()).isEqualTo("FAILED"));
            });
    for (String source : List.of("appdb", "models")) {
      var child =
          client
              .newUntypedWorkflowStub(DrillWorkflowImpl.restoreWorkflowId(drillId, source))
              .describe();
      assertThat(child.getStatus().name()).isEqualTo("WORKFLOW_EXECUTION_STATUS_CANCELED");
    }
  }

  @Test
  void durationsReadAsPeopleWriteThem() {
    assertThat(DrillDurations.format(4_210)).isEqualTo("4.21s");
    assertThat(DrillDurations.format(12 * MINUTE + 5_000)).isEqualTo("12m 05s");
    assertThat(DrillDurations.format(3 * HOUR + 2 * MINUTE)).isEqualTo("3h 02m");
    assertThat(DrillDurations.format(52 * HOUR)).isEqualTo("2d 04h");
  }

  private DrillReport drill() {
    return newDrill(DrillWorkflow.drillId(PLAN, now)).drill(new DrillRequest(PLAN, now, "test"));
  }

  private DrillWorkflow newDrill(String workflowId) {
    return client.newWorkflowStub(
        DrillWorkflow.class,
        WorkflowOptions.newBuilder()
            .setTaskQueue(TaskQueues.DEFAULT)
            .setWorkflowId(workflowId)
            .build());
  }

  private static Restore restored(Duration takes, long consistentAt) {
    return new Restore(
        takes, consistentAt, new ValidationResult(true, List.of("rows as recorded"), List.of()));
  }

  /** The restore engineer's contract, faked: sleeps as long as the test says, then reports. */
  public final class FakeRestore implements RestoreWorkflow {
    @Override
    public RestoreResult restore(RestoreRequest request) {
      restoreRequests.add(request);
      Restore restore = restores.get(request.selector().source());
      long started = Workflow.currentTimeMillis();
      Workflow.sleep(restore.takes());
      if (restore.validation() == null) {
        throw ErrorType.VALIDATION_FAILED.failure("table conversations: 5 rows, manifest says 6");
      }
      long took = Workflow.currentTimeMillis() - started;
      return new RestoreResult(
          request.selector().backupId(),
          request.selector().source(),
          "database",
          restore.validation().passed() ? "RESTORED" : "FAILED",
          100,
          200,
          restore.consistentAtMillis(),
          request.target(),
          restore.validation(),
          List.of(new StepTiming("restore", started, took)),
          started,
          started + took,
          null);
    }

    @Override
    public String currentStep() {
      return "restore";
    }
  }

  /** Records what the drill asked of its activities. */
  final class FakeDrillActivities implements DrillActivities {
    @Override
    public DrillPlan resolvePlan(DrillRequest request) {
      return plan;
    }

    @Override
    public DrillBackupSet selectBackupSet(DrillPlan drillPlan) {
      if (noBackupSet) {
        throw ErrorType.BACKUP_NOT_FOUND.failure(
            "no backup set has every source; run a backup first");
      }
      return new DrillBackupSet(
          "nightly-set",
          drillPlan.sources().stream()
              .map(s -> new DrillBackup(s.name(), s.name() + "-1", 100, 200, consistentAtInCatalog))
              .toList());
    }

    @Override
    public HostQueue reserveHost() {
      return new HostQueue(HOST_ID, HOST_QUEUE);
    }

    @Override
    public DrillEnvironment createEnvironment(EnvironmentRequest request) {
      created.add(request);
      if (environmentFails) {
        throw ErrorType.SPOOL_FULL.failure("initdb failed: no space left on device");
      }
      return new DrillEnvironment(
          request.drillId(),
          HOST_ID,
          "/scratch",
          "/scratch/cluster",
          "127.0.0.1",
          54999,
          "/scratch/secrets/pw",
          Map.of(
              "appdb",
              new RestoreTarget(
                  "database", "127.0.0.1", 54999, "app", "drill", "/scratch/secrets/pw", null),
              "models",
              RestoreTarget.directory("/scratch/files/models")));
    }

    @Override
    public void recordReport(DrillReport report) {
      recorded.add(report);
    }

    @Override
    public void tearDownEnvironment(String drillId) {
      tornDown.add(drillId);
    }
  }
}
