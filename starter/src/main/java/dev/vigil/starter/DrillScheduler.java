package dev.vigil.starter;

import dev.vigil.workflows.drill.DrillRequest;
import dev.vigil.workflows.drill.DrillWorkflow;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleAlreadyRunningException;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.ScheduleSpec;
import io.temporal.client.schedules.ScheduleUpdate;
import java.time.Duration;
import java.util.List;

/**
 * Makes a drill plan recur. Uses a Temporal Schedule where the server has the Schedules API, and a
 * cron workflow where it answers {@code UNIMPLEMENTED} (Temporal's test server, the embedded
 * default). Either way a second call for the same plan does not add a second recurrence.
 */
public final class DrillScheduler {
  /** How a plan was made to recur. */
  public enum Mode {
    /** A Temporal Schedule {@code vigil-drill-<plan>}, created or updated. */
    SCHEDULE,
    /** A cron workflow {@code drill-<plan>-recurring} (no Schedules API on the server). */
    CRON
  }

  /**
   * What {@link #schedule} did.
   *
   * @param id the schedule id ({@link Mode#SCHEDULE}) or the cron workflow id ({@link Mode#CRON})
   * @param detail one line for people: created, updated, or kept as it was
   */
  public record Outcome(String plan, String cron, Mode mode, String id, String detail) {}

  private final WorkflowClient client;
  private final String taskQueue;

  public DrillScheduler(WorkflowClient client, String taskQueue) {
    this.client = client;
    this.taskQueue = taskQueue;
  }

  /** The Schedule id of a plan's recurring drill. */
  public static String scheduleId(String plan) {
    return "vigil-drill-" + plan;
  }

  /** The workflow id of a plan's cron drill, when the server has no Schedules API. */
  public static String cronWorkflowId(String plan) {
    return "drill-" + plan + "-recurring";
  }

  /** Makes {@code plan} run on {@code cron} (five fields, UTC). */
  public Outcome schedule(String plan, String cron) {
    try {
      return viaSchedule(plan, cron);
    } catch (RuntimeException e) {
      if (!unimplemented(e)) {
        throw e;
      }
      return viaCron(plan, cron);
    }
  }

  private Outcome viaSchedule(String plan, String cron) {
    ScheduleClient schedules =
        ScheduleClient.newInstance(
            client.getWorkflowServiceStubs(),
            ScheduleClientOptions.newBuilder()
                .setNamespace(client.getOptions().getNamespace())
                .build());
    String id = scheduleId(plan);
    Schedule schedule =
        Schedule.newBuilder()
            .setAction(
                ScheduleActionStartWorkflow.newBuilder()
                    .setWorkflowType(DrillWorkflow.class)
                    .setArguments(new DrillRequest(plan, 0, "schedule " + id))
                    .setOptions(
                        WorkflowOptions.newBuilder()
                            // The server appends the scheduled time to this id.
                            .setWorkflowId("drill-" + plan)
                            .setTaskQueue(taskQueue)
                            .setWorkflowExecutionTimeout(Duration.ofDays(3))
                            .build())
                    .build())
            .setSpec(ScheduleSpec.newBuilder().setCronExpressions(List.of(cron)).build())
            .build();
    try {
      schedules.createSchedule(id, schedule, ScheduleOptions.newBuilder().build());
      return new Outcome(plan, cron, Mode.SCHEDULE, id, "schedule " + id + " created");
    } catch (ScheduleAlreadyRunningException exists) {
      schedules.getHandle(id).update(input -> new ScheduleUpdate(schedule));
      return new Outcome(plan, cron, Mode.SCHEDULE, id, "schedule " + id + " updated");
    }
  }

  private Outcome viaCron(String plan, String cron) {
    String id = cronWorkflowId(plan);
    DrillWorkflow workflow =
        client.newWorkflowStub(
            DrillWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(taskQueue)
                .setWorkflowId(id)
                .setCronSchedule(cron)
                .build());
    try {
      WorkflowClient.start(workflow::drill, new DrillRequest(plan, 0, "cron " + id));
      return new Outcome(
          plan,
          cron,
          Mode.CRON,
          id,
          "cron workflow " + id + " started (the server has no Schedules API)");
    } catch (WorkflowExecutionAlreadyStarted running) {
      // Replacing it could cut a running drill short of its teardown: the running one is kept.
      return new Outcome(
          plan,
          cron,
          Mode.CRON,
          id,
          "cron workflow "
              + id
              + " already runs and was kept; to change its schedule cancel it and schedule again");
    }
  }

  private static boolean unimplemented(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof StatusRuntimeException status
          && status.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
        return true;
      }
    }
    return false;
  }
}
