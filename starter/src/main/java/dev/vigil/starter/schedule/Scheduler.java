package dev.vigil.starter.schedule;

import dev.vigil.starter.BackupClient;
import dev.vigil.starter.DrillClient;
import dev.vigil.starter.DuplicateRunException;
import dev.vigil.starter.ReportClient;
import dev.vigil.starter.RetentionClient;
import dev.vigil.starter.RunStarts;
import dev.vigil.workflows.common.Cron;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.WorkflowExecutionStartedEventAttributes;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionExecutionStartWorkflow;
import io.temporal.client.schedules.ScheduleActionResult;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleDescription;
import io.temporal.client.schedules.ScheduleHandle;
import io.temporal.client.schedules.ScheduleListDescription;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.SchedulePolicy;
import io.temporal.client.schedules.ScheduleSpec;
import io.temporal.client.schedules.ScheduleState;
import io.temporal.client.schedules.ScheduleUpdate;
import io.temporal.common.WorkflowExecutionHistory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Applies declared schedules to Temporal and manages them: Temporal Schedules where the server has
 * the Schedules API, cron workflows where it answers {@code UNIMPLEMENTED} (Temporal's test server,
 * the embedded default). What was applied is kept in a {@link ScheduleStore} (the catalog).
 *
 * <p>Cron mode differs from Schedules in three ways: a cron workflow never overlaps itself (the
 * next run starts after the current one ends); it runs at most one missed run after an outage, not
 * a catch-up window's worth; and changing it means terminating and restarting it, which {@code
 * apply} does only between runs (a run in progress is never cut short: the change is deferred).
 */
public final class Scheduler {
  /** Temporal Schedule ids are {@code vigil-<name>}. */
  public static final String SCHEDULE_ID_PREFIX = "vigil-";

  /** Cron workflow ids are {@code schedule-<name>}. */
  public static final String CRON_ID_PREFIX = "schedule-";

  /** The pause note of a schedule declared {@code paused: true}; apply lifts only this pause. */
  static final String CONFIG_PAUSE = "paused in vigil.yaml";

  private static final Duration RUN_TIMEOUT = Duration.ofDays(3);

  private final WorkflowClient client;
  private final String taskQueue;
  private final ScheduleStore store;
  private ScheduleMode mode;

  public Scheduler(WorkflowClient client, String taskQueue, ScheduleStore store) {
    this.client = client;
    this.taskQueue = taskQueue;
    this.store = store;
  }

  /** Which mode the connected server allows; asks it once. */
  public synchronized ScheduleMode mode() {
    if (mode == null) {
      try {
        scheduleClient().listSchedules(1).findFirst();
        mode = ScheduleMode.SCHEDULE;
      } catch (RuntimeException e) {
        if (!hasStatus(e, Status.Code.UNIMPLEMENTED)) {
          throw e;
        }
        mode = ScheduleMode.CRON;
      }
    }
    return mode;
  }

  /**
   * Creates or updates each schedule; unchanged ones (same as last applied, still present in
   * Temporal) are left alone. A pause made with {@link #pause} survives apply; a {@code paused:
   * true} in the config pauses, and removing it unpauses.
   */
  public List<ApplyOutcome> apply(List<ScheduleDefinition> definitions, String appliedBy) {
    List<ApplyOutcome> outcomes = new ArrayList<>();
    for (ScheduleDefinition definition : definitions) {
      Optional<StoredSchedule> stored = store.find(definition.name());
      boolean changed =
          stored.isEmpty()
              || stored.get().mode() != mode()
              || !stored.get().definition().sameAction(definition);
      ApplyOutcome outcome =
          mode() == ScheduleMode.SCHEDULE
              ? applySchedule(definition, changed)
              : applyCron(definition, changed);
      if (outcome.change() != ApplyOutcome.Change.DEFERRED) {
        store.upsert(StoredSchedule.of(definition, mode(), Instant.now(), appliedBy));
      }
      outcomes.add(outcome);
    }
    return outcomes;
  }

  /**
   * Names of schedules that were applied before (catalog) or exist in Temporal as {@code vigil-*}
   * Schedules but are no longer among {@code definitions}.
   */
  public List<String> undeclared(List<ScheduleDefinition> definitions) {
    Set<String> declared =
        definitions.stream().map(ScheduleDefinition::name).collect(Collectors.toSet());
    Set<String> names = new LinkedHashSet<>();
    store.all().forEach(row -> names.add(row.definition().name()));
    if (mode() == ScheduleMode.SCHEDULE) {
      scheduleClient()
          .listSchedules(null)
          .map(ScheduleListDescription::getScheduleId)
          .filter(id -> id.startsWith(SCHEDULE_ID_PREFIX))
          .forEach(id -> names.add(id.substring(SCHEDULE_ID_PREFIX.length())));
    }
    names.removeAll(declared);
    return List.copyOf(names);
  }

  /** Deletes the undeclared schedules (Schedule or cron workflow, and their catalog rows). */
  public List<String> prune(List<ScheduleDefinition> definitions, String who) {
    List<String> pruned = undeclared(definitions);
    for (String name : pruned) {
      if (mode() == ScheduleMode.SCHEDULE) {
        try {
          scheduleClient().getHandle(SCHEDULE_ID_PREFIX + name).delete();
        } catch (RuntimeException e) {
          if (!hasStatus(e, Status.Code.NOT_FOUND)) {
            throw e;
          }
        }
      } else {
        CronState state = cronState(CRON_ID_PREFIX + name);
        if (state.open()) {
          terminate(CRON_ID_PREFIX + name, "pruned by " + who + ": no longer declared");
        }
      }
      store.delete(name);
    }
    return pruned;
  }

  /** Every applied schedule with its live state, by name. */
  public List<ScheduleView> list() {
    List<ScheduleView> views = new ArrayList<>();
    for (StoredSchedule row : store.all()) {
      views.add(mode() == ScheduleMode.SCHEDULE ? scheduleView(row.definition()) : cronView(row));
    }
    return views;
  }

  /** Stops a schedule from firing until {@link #unpause}; a run in progress is not stopped. */
  public String pause(String name, String who, String reason) {
    ScheduleDefinition definition = stored(name).definition();
    String note = "paused by " + who + (reason == null || reason.isBlank() ? "" : ": " + reason);
    if (mode() == ScheduleMode.SCHEDULE) {
      handle(definition).pause(note);
      return "schedule " + name + " paused (" + note + ")";
    }
    CronState state = cronState(definition.cronWorkflowId());
    if (state.paused()) {
      return "schedule " + name + " was already " + state.terminationReason();
    }
    if (!state.open()) {
      throw new ScheduleException(
          "schedule " + name + " has no cron workflow; run vigil schedules apply first");
    }
    if (state.executing()) {
      throw new ScheduleException(
          "schedule "
              + name
              + " is running now (run "
              + state.runId()
              + "); pausing would cut it short: pause it after it ends");
    }
    terminate(definition.cronWorkflowId(), note);
    return "schedule " + name + " paused (" + note + "): cron workflow stopped";
  }

  /** Lets a paused schedule fire again; in cron mode restarts it from the stored cron. */
  public String unpause(String name, String who) {
    ScheduleDefinition definition = stored(name).definition();
    if (mode() == ScheduleMode.SCHEDULE) {
      handle(definition).unpause("unpaused by " + who);
      return "schedule " + name + " unpaused";
    }
    CronState state = cronState(definition.cronWorkflowId());
    if (state.open()) {
      return "schedule " + name + " is not paused";
    }
    startCron(definition);
    return "schedule "
        + name
        + " unpaused: cron workflow "
        + definition.cronWorkflowId()
        + " restarted on \""
        + definition.cron()
        + "\"";
  }

  /**
   * Runs the schedule's action once now; refused while a run of the schedule is in progress (no
   * overlap, as for scheduled runs).
   */
  public TriggerOutcome trigger(String name, String who) {
    ScheduleDefinition definition = stored(name).definition();
    if (mode() == ScheduleMode.SCHEDULE) {
      ScheduleHandle handle = handle(definition);
      ScheduleDescription description = handle.describe();
      if (!description.getInfo().getRunningActions().isEmpty()) {
        throw running(name, runningId(description));
      }
      handle.trigger(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
      return new TriggerOutcome(
          name,
          ScheduleMode.SCHEDULE,
          null,
          "schedule "
              + name
              + " triggered; its run is "
              + definition.workflowIdPrefix()
              + "-<time>");
    }
    CronState state = cronState(definition.cronWorkflowId());
    if (state.executing()) {
      throw running(name, definition.cronWorkflowId() + " run " + state.runId());
    }
    String triggeredBy = definition.triggeredBy() + " (trigger by " + who + ")";
    String workflowId;
    try {
      workflowId = startNow(definition, System.currentTimeMillis(), triggeredBy);
    } catch (DuplicateRunException e) {
      throw running(name, e.workflowId());
    }
    return new TriggerOutcome(
        name, ScheduleMode.CRON, workflowId, "schedule " + name + " triggered: " + workflowId);
  }

  /** The Temporal Schedule for {@code definition} (overlap skip, catch-up window, UTC cron). */
  static Schedule temporalSchedule(ScheduleDefinition definition, String taskQueue) {
    return temporalSchedule(definition, taskQueue, true);
  }

  /**
   * The Temporal Schedule for {@code definition}; its runs carry Vigil's search attributes when
   * {@code withAttributes} (the server refuses runs with attributes it does not know).
   */
  static Schedule temporalSchedule(
      ScheduleDefinition definition, String taskQueue, boolean withAttributes) {
    WorkflowOptions.Builder options =
        WorkflowOptions.newBuilder()
            // The server appends the scheduled time to this id.
            .setWorkflowId(definition.workflowIdPrefix())
            .setTaskQueue(taskQueue)
            .setWorkflowExecutionTimeout(RUN_TIMEOUT)
            .setMemo(Map.of("schedule", definition.name()))
            .setStaticSummary(definition.summary());
    if (withAttributes) {
      options.setTypedSearchAttributes(definition.searchAttributes());
    }
    return Schedule.newBuilder()
        .setAction(
            ScheduleActionStartWorkflow.newBuilder()
                .setWorkflowType(definition.kind().workflowType())
                .setArguments(definition.request(0, definition.triggeredBy()))
                .setOptions(options.build())
                .build())
        .setSpec(ScheduleSpec.newBuilder().setCronExpressions(List.of(definition.cron())).build())
        .setPolicy(
            SchedulePolicy.newBuilder()
                .setOverlap(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP)
                .setCatchupWindow(definition.catchupWindow())
                .build())
        .setState(state(definition.paused(), definition.paused() ? CONFIG_PAUSE : ""))
        .build();
  }

  private ApplyOutcome applySchedule(ScheduleDefinition definition, boolean changed) {
    String id = definition.scheduleId();
    ScheduleHandle handle = handle(definition);
    ScheduleDescription current;
    try {
      current = handle.describe();
    } catch (RuntimeException e) {
      if (!hasStatus(e, Status.Code.NOT_FOUND)) {
        throw e;
      }
      scheduleClient()
          .createSchedule(
              id,
              temporalSchedule(definition, taskQueue, attributesKnown(definition)),
              ScheduleOptions.newBuilder()
                  .setMemo(Map.of("summary", definition.triggeredBy()))
                  .build());
      return outcome(definition, ApplyOutcome.Change.CREATED, "Schedule " + id + " created");
    }
    ScheduleState state = current.getSchedule().getState();
    boolean operatorPause = state.isPaused() && !CONFIG_PAUSE.equals(state.getNote());
    boolean paused = definition.paused() || operatorPause;
    String note = operatorPause ? state.getNote() : paused ? CONFIG_PAUSE : "";
    if (!changed && paused == state.isPaused()) {
      return outcome(
          definition,
          ApplyOutcome.Change.UNCHANGED,
          "Schedule " + id + " unchanged" + (operatorPause ? " (kept " + note + ")" : ""));
    }
    Schedule updated =
        Schedule.newBuilder(temporalSchedule(definition, taskQueue, attributesKnown(definition)))
            .setState(state(paused, note))
            .build();
    handle.update(input -> new ScheduleUpdate(updated));
    return outcome(
        definition,
        ApplyOutcome.Change.UPDATED,
        "Schedule " + id + " updated" + (operatorPause ? " (kept " + note + ")" : ""));
  }

  private ApplyOutcome applyCron(ScheduleDefinition definition, boolean changed) {
    String id = definition.cronWorkflowId();
    CronState state = cronState(id);
    boolean operatorPause = state.paused() && !state.terminationReason().equals(CONFIG_PAUSE);
    boolean paused = definition.paused() || operatorPause;
    if (state.executing() && (changed || paused)) {
      return outcome(
          definition,
          ApplyOutcome.Change.DEFERRED,
          "cron workflow "
              + id
              + " is running a "
              + definition.kind().label()
              + " now and is not cut short; apply again after it ends");
    }
    if (paused) {
      if (state.paused()) {
        return outcome(
            definition,
            ApplyOutcome.Change.UNCHANGED,
            "cron workflow " + id + " stays " + state.terminationReason());
      }
      if (state.open()) {
        terminate(id, CONFIG_PAUSE);
        return outcome(definition, ApplyOutcome.Change.UPDATED, "cron workflow " + id + " paused");
      }
      // Started and stopped at once, so that it lists as PAUSED and unpause finds it.
      startCron(definition);
      terminate(id, CONFIG_PAUSE);
      return outcome(
          definition, ApplyOutcome.Change.CREATED, "cron workflow " + id + " created paused");
    }
    if (state.open() && !changed) {
      return outcome(
          definition, ApplyOutcome.Change.UNCHANGED, "cron workflow " + id + " unchanged");
    }
    if (state.open()) {
      // Between runs: nothing is cut short.
      terminate(id, "replaced by vigil schedules apply: the schedule changed");
      startCron(definition);
      return outcome(
          definition,
          ApplyOutcome.Change.UPDATED,
          "cron workflow " + id + " restarted on the new schedule");
    }
    startCron(definition);
    return outcome(
        definition,
        state.paused() ? ApplyOutcome.Change.UPDATED : ApplyOutcome.Change.CREATED,
        "cron workflow " + id + (state.paused() ? " unpaused" : " started"));
  }

  private ApplyOutcome outcome(
      ScheduleDefinition definition, ApplyOutcome.Change change, String detail) {
    return new ApplyOutcome(
        definition.name(), change, mode(), definition.temporalId(mode()), detail);
  }

  private void startCron(ScheduleDefinition definition) {
    Object stub =
        client.newWorkflowStub(
            definition.kind().workflowType(),
            RunStarts.labelled(
                client,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(definition.cronWorkflowId())
                    .setTaskQueue(taskQueue)
                    .setCronSchedule(definition.cron())
                    .setMemo(Map.of("schedule", definition.name()))
                    .build(),
                definition.searchAttributes(),
                definition.summary()));
    WorkflowStub.fromTyped(stub).start(definition.request(0, definition.triggeredBy()));
  }

  private String startNow(ScheduleDefinition definition, long nowMillis, String triggeredBy) {
    return switch (definition.kind()) {
      case BACKUP ->
          new BackupClient(client, taskQueue)
              .start(definition.plan(), definition.sources(), nowMillis, triggeredBy);
      case RESTORE_TEST, DRILL ->
          new DrillClient(client, taskQueue).start(definition.plan(), nowMillis, triggeredBy);
      case RETENTION ->
          new RetentionClient(client, taskQueue)
              .start(false, definition.sources(), nowMillis, triggeredBy);
      case REPORT -> new ReportClient(client, taskQueue).start(nowMillis, triggeredBy);
    };
  }

  private boolean attributesKnown(ScheduleDefinition definition) {
    return RunStarts.known(client, definition.searchAttributes());
  }

  private void terminate(String workflowId, String reason) {
    client.newUntypedWorkflowStub(workflowId).terminate(reason);
  }

  private ScheduleView scheduleView(ScheduleDefinition definition) {
    ScheduleDescription description;
    try {
      description = handle(definition).describe();
    } catch (RuntimeException e) {
      if (!hasStatus(e, Status.Code.NOT_FOUND)) {
        throw e;
      }
      return view(
          definition,
          ScheduleMode.SCHEDULE,
          ScheduleView.State.MISSING,
          null,
          null,
          null,
          null,
          null);
    }
    ScheduleState state = description.getSchedule().getState();
    List<Instant> next = description.getInfo().getNextActionTimes();
    List<ScheduleActionResult> recent = description.getInfo().getRecentActions();
    Instant lastAt = null;
    String lastId = null;
    String outcome = null;
    if (!recent.isEmpty()) {
      ScheduleActionResult last = recent.get(recent.size() - 1);
      lastAt = last.getStartedAt();
      if (last.getAction() instanceof ScheduleActionExecutionStartWorkflow started) {
        lastId = started.getWorkflowId();
        outcome = outcome(client.newUntypedWorkflowStub(lastId).describe().getStatus().name());
      }
    }
    return view(
        definition,
        ScheduleMode.SCHEDULE,
        state.isPaused() ? ScheduleView.State.PAUSED : ScheduleView.State.ACTIVE,
        state.isPaused() || next.isEmpty() ? null : next.get(0),
        lastAt,
        lastId,
        outcome,
        state.isPaused() ? state.getNote() : null);
  }

  private ScheduleView cronView(StoredSchedule row) {
    ScheduleDefinition definition = row.definition();
    CronState state = cronState(definition.cronWorkflowId());
    if (!state.open()) {
      return view(
          definition,
          ScheduleMode.CRON,
          state.paused() ? ScheduleView.State.PAUSED : ScheduleView.State.MISSING,
          null,
          null,
          null,
          null,
          state.paused() ? state.terminationReason() : null);
    }
    // Runs of a cron workflow follow its cron exactly: the next one is the first cron time after
    // the current run started (running) or after it was started to wait (waiting).
    Instant next = Cron.parse(definition.cron()).next(state.since()).orElse(null);
    Instant lastAt = null;
    String lastId = null;
    String outcome = null;
    if (state.executing()) {
      lastAt = state.since();
      lastId = state.runId();
      outcome = "running";
    } else if (state.previousRunId() != null) {
      WorkflowExecutionHistory previous =
          client.fetchHistory(definition.cronWorkflowId(), state.previousRunId());
      lastAt =
          previous.getEvents().stream()
              .filter(event -> event.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
              .findFirst()
              .map(Scheduler::eventTime)
              .orElse(null);
      lastId = state.previousRunId();
      EventType closed = previous.getLastEvent().getEventType();
      // Some servers close a cron run as continued-as-new; the failure, if any, travels along.
      outcome =
          closed == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
              ? (state.previousFailed() ? "failed" : "succeeded")
              : outcome(closed);
    }
    return view(
        definition,
        ScheduleMode.CRON,
        ScheduleView.State.ACTIVE,
        next,
        lastAt,
        lastId,
        outcome,
        null);
  }

  private static ScheduleView view(
      ScheduleDefinition definition,
      ScheduleMode mode,
      ScheduleView.State state,
      Instant next,
      Instant lastAt,
      String lastId,
      String outcome,
      String note) {
    return new ScheduleView(
        definition.name(),
        definition.kind(),
        definition.cron(),
        mode,
        state,
        next,
        lastAt,
        lastId,
        outcome,
        note);
  }

  /** The current run of a cron workflow, read from its history (no visibility API needed). */
  private CronState cronState(String workflowId) {
    WorkflowExecutionHistory history;
    try {
      history = client.fetchHistory(workflowId);
    } catch (RuntimeException e) {
      if (!hasStatus(e, Status.Code.NOT_FOUND)) {
        throw e;
      }
      return CronState.NONE;
    }
    List<HistoryEvent> events = history.getEvents();
    HistoryEvent first = events.get(0);
    HistoryEvent last = events.get(events.size() - 1);
    WorkflowExecutionStartedEventAttributes started =
        first.getWorkflowExecutionStartedEventAttributes();
    String runId = started.getOriginalExecutionRunId();
    String previousRunId =
        started.getContinuedExecutionRunId().isEmpty()
            ? null
            : started.getContinuedExecutionRunId();
    if (last.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED) {
      return new CronState(
          false,
          false,
          runId,
          null,
          false,
          null,
          last.getWorkflowExecutionTerminatedEventAttributes().getReason());
    }
    if (closes(last.getEventType())) {
      return new CronState(false, false, runId, null, false, null, "");
    }
    // A cron run waits (first workflow task backoff) until its time; then its first task is
    // scheduled, and that is when it started running.
    Optional<HistoryEvent> firstTask =
        events.stream()
            .filter(event -> event.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
            .findFirst();
    return new CronState(
        true,
        firstTask.isPresent(),
        runId,
        previousRunId,
        started.hasContinuedFailure(),
        firstTask.map(Scheduler::eventTime).orElse(eventTime(first)),
        "");
  }

  /**
   * @param since when the current run started executing, or (waiting) when it was started
   * @param terminationReason why a closed chain was terminated; empty otherwise
   */
  private record CronState(
      boolean open,
      boolean executing,
      String runId,
      String previousRunId,
      boolean previousFailed,
      Instant since,
      String terminationReason) {
    static final CronState NONE = new CronState(false, false, null, null, false, null, "");

    boolean paused() {
      return !open && terminationReason != null && terminationReason.startsWith("paused");
    }
  }

  private static boolean closes(EventType type) {
    return switch (type) {
      case EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
          EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
          EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
          EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
          EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW ->
          true;
      default -> false;
    };
  }

  private static String outcome(EventType type) {
    return switch (type) {
      case EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED -> "succeeded";
      case EVENT_TYPE_WORKFLOW_EXECUTION_FAILED -> "failed";
      case EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT -> "timed-out";
      case EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED -> "cancelled";
      case EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED -> "terminated";
      default -> "running";
    };
  }

  /**
   * From a {@code WorkflowExecutionStatus} name such as {@code WORKFLOW_EXECUTION_STATUS_FAILED}.
   */
  private static String outcome(String status) {
    return switch (status.replace("WORKFLOW_EXECUTION_STATUS_", "")) {
      case "RUNNING" -> "running";
      case "COMPLETED" -> "succeeded";
      case "FAILED" -> "failed";
      case "CANCELED" -> "cancelled";
      case "TERMINATED" -> "terminated";
      case "TIMED_OUT" -> "timed-out";
      default -> null;
    };
  }

  private static Instant eventTime(HistoryEvent event) {
    return Instant.ofEpochSecond(
        event.getEventTime().getSeconds(), event.getEventTime().getNanos());
  }

  private static ScheduleState state(boolean paused, String note) {
    return ScheduleState.newBuilder().setPaused(paused).setNote(note).build();
  }

  private static String runningId(ScheduleDescription description) {
    return description.getInfo().getRunningActions().stream()
        .filter(ScheduleActionExecutionStartWorkflow.class::isInstance)
        .map(action -> ((ScheduleActionExecutionStartWorkflow) action).getWorkflowId())
        .findFirst()
        .orElse("a run");
  }

  private static ScheduleException running(String name, String run) {
    return new ScheduleException(
        "schedule "
            + name
            + " is running now ("
            + run
            + "); a schedule never runs twice at once: trigger it after that run ends");
  }

  private StoredSchedule stored(String name) {
    return store
        .find(name)
        .orElseThrow(
            () ->
                new ScheduleException(
                    "no schedule '"
                        + name
                        + "' was applied; known: "
                        + store.all().stream().map(row -> row.definition().name()).toList()
                        + " (run vigil schedules apply first)"));
  }

  private ScheduleHandle handle(ScheduleDefinition definition) {
    return scheduleClient().getHandle(definition.scheduleId());
  }

  private ScheduleClient scheduleClient() {
    return ScheduleClient.newInstance(
        client.getWorkflowServiceStubs(),
        ScheduleClientOptions.newBuilder()
            .setNamespace(client.getOptions().getNamespace())
            .build());
  }

  private static boolean hasStatus(Throwable failure, Status.Code code) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof StatusRuntimeException status && status.getStatus().getCode() == code) {
        return true;
      }
    }
    return false;
  }
}
