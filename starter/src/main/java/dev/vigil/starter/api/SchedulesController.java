package dev.vigil.starter.api;

import dev.vigil.starter.schedule.ScheduleException;
import dev.vigil.starter.schedule.ScheduleStore;
import dev.vigil.starter.schedule.ScheduleView;
import dev.vigil.starter.schedule.Scheduler;
import dev.vigil.starter.schedule.TriggerOutcome;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.RequestAttribute;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.serde.annotation.Serdeable;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schedules {@code vigil schedules apply} made (listing: viewer; pause, unpause, trigger:
 * operator). Applying stays with the CLI: the schedules are declared in vigil.yaml, which the API
 * does not read; the catalog holds what was applied.
 */
@Controller("/api/v1/schedules")
@ExecuteOn(TaskExecutors.BLOCKING)
@Tag(name = "schedules")
final class SchedulesController {
  private static final Logger log = LoggerFactory.getLogger(SchedulesController.class);

  private final Scheduler scheduler;
  private final ScheduleStore store;

  SchedulesController(Scheduler scheduler, ScheduleStore store) {
    this.scheduler = scheduler;
    this.store = store;
  }

  @Get
  @Operation(summary = "List the applied schedules with their mode, state, next and last run")
  List<ScheduleEntry> list() {
    return scheduler.list().stream().map(ScheduleEntry::of).toList();
  }

  @Post("/{name}/pause")
  @Operation(summary = "Stop a schedule from firing until unpaused (operator)")
  @ApiResponse(responseCode = "409", description = "SCHEDULE_BUSY: a run is in progress")
  ScheduleChange pause(
      @PathVariable String name,
      @Body @Nullable PauseRequest request,
      @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
    String reason = request == null ? null : request.reason();
    return change(name, caller, () -> scheduler.pause(name, caller.triggeredBy(), reason));
  }

  @Post("/{name}/unpause")
  @Operation(summary = "Let a paused schedule fire again (operator)")
  ScheduleChange unpause(
      @PathVariable String name, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
    return change(name, caller, () -> scheduler.unpause(name, caller.triggeredBy()));
  }

  @Post("/{name}/trigger")
  @Operation(summary = "Run a schedule's action once now (operator)")
  @ApiResponse(responseCode = "409", description = "SCHEDULE_BUSY: a run is in progress")
  ScheduleChange trigger(
      @PathVariable String name, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
    known(name);
    try {
      TriggerOutcome outcome = scheduler.trigger(name, caller.triggeredBy());
      log.info("{} triggered schedule {}: {}", caller.triggeredBy(), name, outcome.workflowId());
      return new ScheduleChange(name, outcome.detail(), outcome.workflowId());
    } catch (ScheduleException refused) {
      throw busy(refused);
    }
  }

  private ScheduleChange change(String name, Caller caller, Supplier<String> action) {
    known(name);
    try {
      String message = action.get();
      log.info("{}: {}", caller.triggeredBy(), message);
      return new ScheduleChange(name, message, null);
    } catch (ScheduleException refused) {
      throw busy(refused);
    }
  }

  private void known(String name) {
    Fields.name("name", name);
    if (store.find(name).isEmpty()) {
      throw ApiException.notFound(
          "no schedule "
              + Fields.quoted(name)
              + " has been applied; known: "
              + store.all().stream().map(row -> row.definition().name()).toList()
              + " (declare it in vigil.yaml and run vigil schedules apply)");
    }
  }

  private static ApiException busy(ScheduleException refused) {
    return new ApiException(HttpStatus.CONFLICT, "SCHEDULE_BUSY", refused.getMessage(), null);
  }

  /** An optional reason for a pause, kept in the schedule's note. */
  @Serdeable
  record PauseRequest(@Nullable String reason) {}

  /** What a pause, unpause or trigger did; {@code runId} is the run a trigger started. */
  @Serdeable
  record ScheduleChange(String name, String message, @Nullable String runId) {}

  /** One schedule as the API shows it. */
  @Serdeable
  record ScheduleEntry(
      String name,
      String kind,
      String cron,
      String mode,
      String state,
      @Nullable Instant nextRunAt,
      @Nullable Instant lastRunAt,
      @Nullable String lastRunId,
      @Nullable String lastOutcome,
      @Nullable String note) {
    static ScheduleEntry of(ScheduleView view) {
      return new ScheduleEntry(
          view.name(),
          view.kind().label(),
          view.cron(),
          view.mode().name(),
          view.state().name(),
          view.nextRunAt(),
          view.lastRunAt(),
          view.lastRunId(),
          view.lastOutcome(),
          view.note());
    }
  }
}
