package dev.vigil.starter.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.workflows.backup.BackupPlanWorkflow;
import dev.vigil.workflows.backup.PlanRequest;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceProgress;
import dev.vigil.workflows.common.Cron;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.common.TaskQueues;
import dev.vigil.workflows.drill.DrillObjectives;
import dev.vigil.workflows.drill.DrillReport;
import dev.vigil.workflows.drill.DrillRequest;
import dev.vigil.workflows.drill.DrillWorkflow;
import dev.vigil.workflows.retention.RetentionRequest;
import dev.vigil.workflows.retention.RetentionResult;
import dev.vigil.workflows.retention.RetentionWorkflow;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.common.SearchAttributeKey;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Schedules on Temporal's test server, which has no Schedules API: the scheduler falls back to cron
 * workflows, and runs fire in simulated time. Fake workflows registered under the real workflow
 * types record the requests they get.
 */
class SchedulerTest {
  private static final Duration HOUR = Duration.ofHours(1);
  private static final ScheduleDefinition NIGHTLY =
      new ScheduleDefinition(
          "nightly-backup", ScheduleKind.BACKUP, "0 2 * * *", "nightly", List.of(), HOUR, false);
  private static final ScheduleDefinition QUARTERLY =
      new ScheduleDefinition(
          "quarterly-drill",
          ScheduleKind.DRILL,
          "0 3 1 1,4,7,10 *",
          "default",
          List.of(),
          HOUR,
          false);
  private static final ScheduleDefinition RETENTION =
      new ScheduleDefinition(
          "daily-retention", ScheduleKind.RETENTION, "30 5 * * *", null, List.of(), HOUR, false);

  private static final List<Run> runs = new CopyOnWriteArrayList<>();

  record Run(Object request, long atMillis) {
    ZonedDateTime at() {
      return Instant.ofEpochMilli(atMillis).atZone(ZoneOffset.UTC);
    }
  }

  private TestWorkflowEnvironment testEnv;
  private InMemoryScheduleStore store;
  private Scheduler scheduler;

  @BeforeEach
  void startTestServer() {
    runs.clear();
    testEnv = TestWorkflowEnvironment.newInstance();
    // As Vigil's worker does at startup: scheduled runs carry these attributes.
    for (SearchAttributeKey<String> key : SearchAttributes.ALL) {
      testEnv.registerSearchAttribute(key.getName(), key.getValueType());
    }
    testEnv
        .newWorker(TaskQueues.DEFAULT)
        .registerWorkflowImplementationTypes(
            RecordingBackup.class, RecordingDrill.class, SlowRetention.class);
    testEnv.start();
    store = new InMemoryScheduleStore();
    scheduler = new Scheduler(testEnv.getWorkflowClient(), TaskQueues.DEFAULT, store);
  }

  @AfterEach
  void stopTestServer() {
    testEnv.close();
  }

  @Test
  void withoutSchedulesApiApplyStartsCronWorkflowsAndRecordsThem() {
    List<ApplyOutcome> outcomes = scheduler.apply(List.of(NIGHTLY, QUARTERLY), "tester");

    assertThat(scheduler.mode()).isEqualTo(ScheduleMode.CRON);
    assertThat(outcomes)
        .extracting(
            ApplyOutcome::name, ApplyOutcome::change, ApplyOutcome::mode, ApplyOutcome::temporalId)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "nightly-backup",
                ApplyOutcome.Change.CREATED,
                ScheduleMode.CRON,
                "schedule-nightly-backup"),
            org.assertj.core.groups.Tuple.tuple(
                "quarterly-drill",
                ApplyOutcome.Change.CREATED,
                ScheduleMode.CRON,
                "schedule-quarterly-drill"));
    StoredSchedule nightly = store.find("nightly-backup").orElseThrow();
    assertThat(nightly.intervalSeconds()).isEqualTo(86_400);
    assertThat(nightly.appliedBy()).isEqualTo("tester");
    assertThat(store.find("quarterly-drill").orElseThrow().intervalSeconds())
        .isEqualTo(Duration.ofDays(92).toSeconds());
    // The Temporal UI can filter scheduled runs like any other.
    var described =
        testEnv
            .getWorkflowClient()
            .newUntypedWorkflowStub("schedule-nightly-backup")
            .describe()
            .getTypedSearchAttributes();
    assertThat(described.get(SearchAttributes.KIND)).isEqualTo("backup-set");
    assertThat(described.get(SearchAttributes.TRIGGERED_BY)).isEqualTo("schedule nightly-backup");

    List<ApplyOutcome> again = scheduler.apply(List.of(NIGHTLY, QUARTERLY), "tester");

    assertThat(again).extracting(ApplyOutcome::change).containsOnly(ApplyOutcome.Change.UNCHANGED);
  }

  @Test
  void aNightlyBackupFiresAtTwoUtcInSimulatedTime() {
    scheduler.apply(List.of(NIGHTLY), "tester");

    testEnv.sleep(Duration.ofDays(3));

    assertThat(runs).hasSizeBetween(2, 3);
    for (Run run : runs) {
      assertThat(run.at().getHour()).isEqualTo(2);
      assertThat(run.at().getMinute()).isZero();
      assertThat(run.request())
          .isEqualTo(new PlanRequest("nightly", List.of(), 0, "schedule nightly-backup"));
    }
  }

  @Test
  void aQuarterlyDrillFiresOnTheFirstOfJanuaryAprilJulyAndOctober() {
    scheduler.apply(List.of(QUARTERLY), "tester");

    testEnv.sleep(Duration.ofDays(200));

    // 200 days hold at least two quarter starts, and at most three.
    assertThat(runs).hasSizeBetween(2, 3);
    for (Run run : runs) {
      assertThat(run.at().getDayOfMonth()).isEqualTo(1);
      assertThat(run.at().getMonthValue()).isIn(1, 4, 7, 10);
      assertThat(run.at().getHour()).isEqualTo(3);
      assertThat(run.request())
          .isEqualTo(new DrillRequest("default", 0, "schedule quarterly-drill"));
    }
  }

  @Test
  void pauseStopsFiringsAndUnpauseResumesThem() {
    scheduler.apply(List.of(NIGHTLY), "tester");
    testEnv.sleep(Duration.ofDays(2));
    int before = runs.size();
    assertThat(before).isPositive();

    String paused = scheduler.pause("nightly-backup", "cli (ops)", "storage migration");
    testEnv.sleep(Duration.ofDays(3));

    assertThat(paused).contains("paused by cli (ops): storage migration");
    assertThat(runs).hasSize(before);
    ScheduleView view = scheduler.list().get(0);
    assertThat(view.state()).isEqualTo(ScheduleView.State.PAUSED);
    assertThat(view.note()).isEqualTo("paused by cli (ops): storage migration");
    assertThat(view.nextRunAt()).isNull();
    assertThat(scheduler.apply(List.of(NIGHTLY), "tester").get(0).detail())
        .as("an operator's pause survives apply")
        .contains("stays paused by cli (ops)");
    assertThat(scheduler.list().get(0).state()).isEqualTo(ScheduleView.State.PAUSED);

    scheduler.unpause("nightly-backup", "cli (ops)");
    testEnv.sleep(Duration.ofDays(2));

    assertThat(scheduler.list().get(0).state()).isEqualTo(ScheduleView.State.ACTIVE);
    assertThat(runs.size()).isBetween(before + 1, before + 2);
  }

  @Test
  void aScheduleDeclaredPausedDoesNotFireAndIsUnpausedWhenTheDeclarationGoes() {
    ScheduleDefinition paused =
        new ScheduleDefinition(
            "nightly-backup", ScheduleKind.BACKUP, "0 2 * * *", "nightly", List.of(), HOUR, true);

    assertThat(scheduler.apply(List.of(paused), "tester").get(0).detail())
        .contains("created paused");
    testEnv.sleep(Duration.ofDays(2));

    assertThat(runs).isEmpty();
    assertThat(scheduler.list().get(0).state()).isEqualTo(ScheduleView.State.PAUSED);

    assertThat(scheduler.apply(List.of(NIGHTLY), "tester").get(0).change())
        .isEqualTo(ApplyOutcome.Change.UPDATED);
    testEnv.sleep(Duration.ofDays(2));
    assertThat(runs).isNotEmpty();
  }

  @Test
  void triggerRunsTheActionOnceNowWithABusinessId() {
    scheduler.apply(List.of(NIGHTLY), "tester");

    TriggerOutcome outcome = scheduler.trigger("nightly-backup", "cli (ops)");
    testEnv
        .getWorkflowClient()
        .newUntypedWorkflowStub(outcome.workflowId())
        .getResult(PlanResult.class);

    assertThat(outcome.mode()).isEqualTo(ScheduleMode.CRON);
    assertThat(outcome.workflowId()).matches("backup-set-nightly-\\d{8}T\\d{6}Z");
    // Waiting for the result skips time, so scheduled runs may follow; one run was triggered.
    List<PlanRequest> triggered =
        runs.stream()
            .map(run -> (PlanRequest) run.request())
            .filter(request -> request.requestedAtMillis() > 0)
            .toList();
    assertThat(triggered).hasSize(1);
    PlanRequest request = triggered.get(0);
    assertThat(request.triggeredBy()).isEqualTo("schedule nightly-backup (trigger by cli (ops))");
    assertThat(request.requestedAtMillis()).isPositive();
  }

  @Test
  void triggerAndPauseAreRefusedWhileARunIsInProgress() {
    scheduler.apply(List.of(RETENTION), "tester");
    Instant now = Instant.ofEpochMilli(testEnv.currentTimeMillis());
    Instant due = Cron.parse(RETENTION.cron()).next(now).orElseThrow();
    // Into the run: the fake retention takes an hour.
    testEnv.sleep(Duration.between(now, due).plusMinutes(5));

    assertThat(runs).hasSize(1);
    assertThatThrownBy(() -> scheduler.trigger("daily-retention", "cli (ops)"))
        .isInstanceOf(ScheduleException.class)
        .hasMessageContaining("schedule daily-retention is running now")
        .hasMessageContaining("trigger it after that run ends");
    assertThatThrownBy(() -> scheduler.pause("daily-retention", "cli (ops)", null))
        .isInstanceOf(ScheduleException.class)
        .hasMessageContaining("pause it after it ends");
    ScheduleView view = scheduler.list().get(0);
    assertThat(view.lastOutcome()).isEqualTo("running");
    assertThat(view.nextRunAt()).isEqualTo(due.plus(Duration.ofDays(1)));
    ScheduleDefinition changed =
        new ScheduleDefinition(
            "daily-retention", ScheduleKind.RETENTION, "45 5 * * *", null, List.of(), HOUR, false);
    assertThat(scheduler.apply(List.of(changed), "tester").get(0).change())
        .isEqualTo(ApplyOutcome.Change.DEFERRED);
    assertThat(store.find("daily-retention").orElseThrow().definition().cron())
        .as("a deferred change is not recorded, so the next apply makes it")
        .isEqualTo("30 5 * * *");
  }

  @Test
  void listReportsCronModeStatesNextAndLastRuns() {
    scheduler.apply(List.of(NIGHTLY, QUARTERLY), "tester");
    store.upsert(
        StoredSchedule.of(
            new ScheduleDefinition(
                "gone", ScheduleKind.BACKUP, "0 1 * * *", "gone", List.of(), HOUR, false),
            ScheduleMode.CRON,
            Instant.now(),
            "tester"));
    testEnv.sleep(Duration.ofDays(1).plusHours(1));

    List<ScheduleView> views = scheduler.list();

    assertThat(views)
        .extracting(ScheduleView::name, ScheduleView::mode, ScheduleView::state)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "gone", ScheduleMode.CRON, ScheduleView.State.MISSING),
            org.assertj.core.groups.Tuple.tuple(
                "nightly-backup", ScheduleMode.CRON, ScheduleView.State.ACTIVE),
            org.assertj.core.groups.Tuple.tuple(
                "quarterly-drill", ScheduleMode.CRON, ScheduleView.State.ACTIVE));
    ScheduleView nightly = views.get(1);
    Instant now = Instant.ofEpochMilli(testEnv.currentTimeMillis());
    assertThat(nightly.nextRunAt()).isEqualTo(Cron.parse("0 2 * * *").next(now).orElseThrow());
    assertThat(nightly.lastOutcome()).isEqualTo("succeeded");
    assertThat(nightly.lastRunAt().atZone(ZoneOffset.UTC).getHour()).isEqualTo(2);
    assertThat(nightly.lastRunId()).isNotBlank();
    assertThat(views.get(2).nextRunAt())
        .isEqualTo(Cron.parse("0 3 1 1,4,7,10 *").next(now).orElseThrow());
  }

  @Test
  void undeclaredSchedulesAreReportedAndPruneRemovesThem() {
    scheduler.apply(List.of(NIGHTLY, QUARTERLY), "tester");

    assertThat(scheduler.undeclared(List.of(NIGHTLY))).containsExactly("quarterly-drill");
    assertThat(scheduler.prune(List.of(NIGHTLY), "tester")).containsExactly("quarterly-drill");
    testEnv.sleep(Duration.ofDays(200));

    assertThat(store.find("quarterly-drill")).isEmpty();
    assertThat(runs).allSatisfy(run -> assertThat(run.request()).isInstanceOf(PlanRequest.class));
    assertThatThrownBy(() -> scheduler.trigger("quarterly-drill", "tester"))
        .isInstanceOf(ScheduleException.class)
        .hasMessageContaining("no schedule 'quarterly-drill' was applied; known: [nightly-backup]");
  }

  @Test
  void theTemporalScheduleSkipsOverlapsKeepsTheCatchUpWindowAndStartsTheRealWorkflow() {
    ScheduleDefinition definition =
        new ScheduleDefinition(
            "hourly-db",
            ScheduleKind.BACKUP,
            "0 * * * MON-FRI",
            "db",
            List.of("appdb"),
            Duration.ofMinutes(15),
            true);

    Schedule schedule = Scheduler.temporalSchedule(definition, "vigil");

    assertThat(schedule.getPolicy().getOverlap())
        .isEqualTo(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
    assertThat(schedule.getPolicy().getCatchupWindow()).isEqualTo(Duration.ofMinutes(15));
    assertThat(schedule.getSpec().getCronExpressions()).containsExactly("0 * * * MON-FRI");
    assertThat(schedule.getState().isPaused()).isTrue();
    assertThat(schedule.getState().getNote()).isEqualTo("paused in vigil.yaml");
    ScheduleActionStartWorkflow action = (ScheduleActionStartWorkflow) schedule.getAction();
    assertThat(action.getWorkflowType()).isEqualTo("BackupPlanWorkflow");
    assertThat(action.getOptions().getWorkflowId()).isEqualTo("backup-set-db");
    assertThat(action.getOptions().getTaskQueue()).isEqualTo("vigil");
    assertThat(action.getOptions().getMemo()).containsEntry("schedule", "hourly-db");
    assertThat(action.getOptions().getStaticSummary())
        .isEqualTo("backup of plan db (schedule hourly-db)");
    io.temporal.common.SearchAttributes attributes = action.getOptions().getTypedSearchAttributes();
    assertThat(attributes.get(SearchAttributes.KIND)).isEqualTo("backup-set");
    assertThat(attributes.get(SearchAttributes.SOURCE)).isEqualTo("appdb");
    assertThat(attributes.get(SearchAttributes.TRIGGERED_BY)).isEqualTo("schedule hourly-db");
    assertThat(action.getArguments().get(0, PlanRequest.class))
        .isEqualTo(new PlanRequest("db", List.of("appdb"), 0, "schedule hourly-db"));
    assertThat(definition.scheduleId()).isEqualTo("vigil-hourly-db");
    ScheduleActionStartWorkflow drill =
        (ScheduleActionStartWorkflow) Scheduler.temporalSchedule(QUARTERLY, "vigil").getAction();
    assertThat(drill.getWorkflowType()).isEqualTo("DrillWorkflow");
    assertThat(drill.getOptions().getWorkflowId()).isEqualTo("drill-default");
    assertThat(
            ((ScheduleActionStartWorkflow)
                    Scheduler.temporalSchedule(RETENTION, "vigil").getAction())
                .getArguments()
                .get(0, RetentionRequest.class))
        .isEqualTo(new RetentionRequest(List.of(), false, 0, "schedule daily-retention"));
  }

  /** Records the plan runs it is asked for; backs nothing up. */
  public static final class RecordingBackup implements BackupPlanWorkflow {
    @Override
    public PlanResult run(PlanRequest request) {
      long now = Workflow.currentTimeMillis();
      runs.add(new Run(request, now));
      return new PlanResult("set", request.plan(), "COMPLETE", "key", now, now, List.of());
    }

    @Override
    public List<SourceProgress> progress() {
      return List.of();
    }
  }

  /** Records the drills it is asked for; restores nothing. */
  public static final class RecordingDrill implements DrillWorkflow {
    @Override
    public DrillReport drill(DrillRequest request) {
      runs.add(new Run(request, Workflow.currentTimeMillis()));
      return new DrillReport(
          "drill-" + request.plan(),
          request.plan(),
          DrillReport.PASSED,
          null,
          request.triggeredBy(),
          0,
          0,
          0,
          0,
          DrillObjectives.NONE,
          List.of(),
          List.of());
    }

    @Override
    public String currentStep() {
      return "done";
    }
  }

  /** A retention run that takes an hour, so a test can act while it runs. */
  public static final class SlowRetention implements RetentionWorkflow {
    @Override
    public RetentionResult run(RetentionRequest request) {
      runs.add(new Run(request, Workflow.currentTimeMillis()));
      Workflow.sleep(Duration.ofHours(1));
      return new RetentionResult("retention", false, List.of());
    }
  }
}
