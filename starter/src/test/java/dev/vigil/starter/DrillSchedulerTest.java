package dev.vigil.starter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.workflows.common.TaskQueues;
import dev.vigil.workflows.drill.DrillObjectives;
import dev.vigil.workflows.drill.DrillReport;
import dev.vigil.workflows.drill.DrillRequest;
import dev.vigil.workflows.drill.DrillWorkflow;
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
 * The recurring drill on Temporal's test server, which has no Schedules API: the scheduler falls
 * back to a cron workflow, and a quarterly drill fires in simulated time.
 */
class DrillSchedulerTest {
  private static final String QUARTERLY = "0 3 1 1,4,7,10 *";

  private static final List<Run> runs = new CopyOnWriteArrayList<>();

  record Run(DrillRequest request, long atMillis) {}

  private TestWorkflowEnvironment testEnv;

  @BeforeEach
  void startTestServer() {
    runs.clear();
    testEnv = TestWorkflowEnvironment.newInstance();
    testEnv.newWorker(TaskQueues.DEFAULT).registerWorkflowImplementationTypes(CountingDrill.class);
    testEnv.start();
  }

  @AfterEach
  void stopTestServer() {
    testEnv.close();
  }

  @Test
  void withoutSchedulesApiAQuarterlyDrillRunsAsACronWorkflowAndFiresInSimulatedTime() {
    DrillScheduler scheduler = new DrillScheduler(testEnv.getWorkflowClient(), TaskQueues.DEFAULT);

    DrillScheduler.Outcome outcome = scheduler.schedule("quarterly", QUARTERLY);
    testEnv.sleep(Duration.ofDays(200));

    assertThat(outcome.mode()).isEqualTo(DrillScheduler.Mode.CRON);
    assertThat(outcome.id()).isEqualTo("drill-quarterly-recurring");
    assertThat(outcome.detail()).contains("no Schedules API");
    // 200 days hold at least two quarter starts, and at most three.
    assertThat(runs).hasSizeBetween(2, 3);
    for (Run run : runs) {
      ZonedDateTime at = Instant.ofEpochMilli(run.atMillis()).atZone(ZoneOffset.UTC);
      assertThat(at.getDayOfMonth()).isEqualTo(1);
      assertThat(at.getMonthValue()).isIn(1, 4, 7, 10);
      assertThat(at.getHour()).isEqualTo(3);
      assertThat(run.request())
          .isEqualTo(new DrillRequest("quarterly", 0, "cron drill-quarterly-recurring"));
    }
  }

  @Test
  void schedulingTheSamePlanAgainKeepsTheRunningCronWorkflow() {
    DrillScheduler scheduler = new DrillScheduler(testEnv.getWorkflowClient(), TaskQueues.DEFAULT);
    scheduler.schedule("quarterly", QUARTERLY);

    DrillScheduler.Outcome again = scheduler.schedule("quarterly", QUARTERLY);

    assertThat(again.mode()).isEqualTo(DrillScheduler.Mode.CRON);
    assertThat(again.detail()).contains("already runs and was kept");
  }

  /** Counts the drills the cron workflow starts; does nothing else. */
  public static final class CountingDrill implements DrillWorkflow {
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
}
