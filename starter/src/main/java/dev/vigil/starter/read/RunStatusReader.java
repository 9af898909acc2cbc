package dev.vigil.starter.read;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.vigil.workflows.backup.SourceProgress;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.HistoryEventFilterType;
import io.temporal.api.enums.v1.PendingActivityState;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflow.v1.PendingChildExecutionInfo;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.temporal.common.converter.DataConverter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * The live status of any Vigil run, from Temporal: its state, the step it reports through its
 * query, its pending activities with attempt and the bytes of their last heartbeat, and its open
 * child runs one level deep. Uses DescribeWorkflowExecution, which the embedded test server has.
 */
public final class RunStatusReader {
  // A query needs a worker to answer; without one it would wait for the RPC deadline.
  private static final long QUERY_TIMEOUT_SECONDS = 3;

  private final WorkflowClient client;
  private final DataConverter dataConverter;

  /** A reader over {@code client}'s namespace, decoding heartbeats with its data converter. */
  public RunStatusReader(WorkflowClient client) {
    this.client = client;
    this.dataConverter = client.getOptions().getDataConverter();
  }

  /**
   * The status of the latest run of {@code workflowId}.
   *
   * @throws RunNotFoundException when Temporal knows no such run
   */
  public RunStatus status(String workflowId) {
    return status(workflowId, "", 1);
  }

  /**
   * Only the state of the latest run of {@code workflowId} (RUNNING, COMPLETED, CANCELED, …), in
   * one request: no query, no children.
   *
   * @throws RunNotFoundException when Temporal knows no such run
   */
  public String state(String workflowId) {
    return stripPrefix(
        describe(workflowId, "").getWorkflowExecutionInfo().getStatus().name(),
        "WORKFLOW_EXECUTION_STATUS_");
  }

  private RunStatus status(String workflowId, String runId, int childDepth) {
    DescribeWorkflowExecutionResponse description = describe(workflowId, runId);
    WorkflowExecutionInfo info = description.getWorkflowExecutionInfo();
    String type = info.getType().getName();
    String resolvedRunId = info.getExecution().getRunId();
    String state = stripPrefix(info.getStatus().name(), "WORKFLOW_EXECUTION_STATUS_");
    boolean running = "RUNNING".equals(state);

    List<ActivityProgress> activities = new ArrayList<>();
    for (PendingActivityInfo activity : description.getPendingActivitiesList()) {
      activities.add(activity(activity));
    }
    List<RunStatus> children = new ArrayList<>();
    for (PendingChildExecutionInfo child : description.getPendingChildrenList()) {
      children.add(childDepth > 0 ? childStatus(child, childDepth - 1) : knownByParent(child));
    }
    if (!running && childDepth > 0) {
      // Temporal describes open children only; a closed run's come from its history.
      for (WorkflowExecution child : startedChildren(workflowId, resolvedRunId)) {
        try {
          children.add(status(child.getWorkflowId(), child.getRunId(), childDepth - 1));
        } catch (RunNotFoundException gone) {
          // Removed by the server's retention: nothing to show.
        }
      }
    }
    return new RunStatus(
        workflowId,
        resolvedRunId,
        type,
        state,
        instant(info.hasStartTime() ? info.getStartTime() : null),
        instant(info.hasCloseTime() ? info.getCloseTime() : null),
        running ? step(workflowId, resolvedRunId, type) : null,
        List.copyOf(activities),
        List.copyOf(children),
        running || "COMPLETED".equals(state) ? null : closeFailure(workflowId, resolvedRunId));
  }

  /** What the parent says of an open child: its ids, type, and that it runs. */
  private static RunStatus knownByParent(PendingChildExecutionInfo child) {
    return new RunStatus(
        child.getWorkflowId(),
        child.getRunId(),
        child.getWorkflowTypeName(),
        "RUNNING",
        null,
        null,
        null,
        List.of(),
        List.of(),
        null);
  }

  private RunStatus childStatus(PendingChildExecutionInfo child, int childDepth) {
    try {
      return status(child.getWorkflowId(), child.getRunId(), childDepth);
    } catch (RunNotFoundException e) {
      // Started but not yet visible, or already gone: say what the parent knows.
      return knownByParent(child);
    }
  }

  private DescribeWorkflowExecutionResponse describe(String workflowId, String runId) {
    try {
      return client
          .getWorkflowServiceStubs()
          .blockingStub()
          .describeWorkflowExecution(
              DescribeWorkflowExecutionRequest.newBuilder()
                  .setNamespace(client.getOptions().getNamespace())
                  .setExecution(
                      WorkflowExecution.newBuilder().setWorkflowId(workflowId).setRunId(runId))
                  .build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND
          || e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
        throw new RunNotFoundException(workflowId);
      }
      throw e;
    }
  }

  private ActivityProgress activity(PendingActivityInfo activity) {
    Long bytesDone = null;
    Long bytesTotal = null;
    if (activity.hasHeartbeatDetails()) {
      Object details = heartbeat(activity.getHeartbeatDetails());
      if (details instanceof Number number) {
        bytesDone = number.longValue();
      } else if (details instanceof Map<?, ?> fields) {
        bytesDone = positiveLong(fields.get("bytesDone"), true);
        bytesTotal = positiveLong(fields.get("bytesTotal"), false);
      }
    }
    return new ActivityProgress(
        activity.getActivityType().getName(),
        stripPrefix(activity.getState().name(), "PENDING_ACTIVITY_STATE_"),
        activity.getAttempt(),
        bytesDone,
        bytesTotal,
        activity.hasLastFailure() ? describe(activity.getLastFailure()) : null,
        instant(activity.hasLastHeartbeatTime() ? activity.getLastHeartbeatTime() : null),
        nextAttempt(activity));
  }

  /**
   * When a retry waiting for its backoff starts, as the server says. The Java test server does not
   * say (it reports an activity in backoff as STARTED), so there is no countdown there.
   */
  private static Instant nextAttempt(PendingActivityInfo activity) {
    if (activity.getState() != PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED
        || activity.getAttempt() < 2
        || !activity.hasNextAttemptScheduleTime()) {
      return null;
    }
    return instant(activity.getNextAttemptScheduleTime());
  }

  /** The first heartbeat detail as plain JSON values (map, number, string), null if unreadable. */
  private Object heartbeat(Payloads payloads) {
    if (payloads.getPayloadsCount() == 0) {
      return null;
    }
    try {
      return dataConverter.fromPayloads(0, Optional.of(payloads), Object.class, Object.class);
    } catch (RuntimeException e) {
      // Details of an activity Vigil does not know how to read: no bytes, the rest still shows.
      return null;
    }
  }

  private static Long positiveLong(Object value, boolean zeroIsKnown) {
    if (value instanceof Number number) {
      long bytes = number.longValue();
      return bytes > 0 || (zeroIsKnown && bytes == 0) ? bytes : null;
    }
    return null;
  }

  private String step(String workflowId, String runId, String type) {
    WorkflowStub stub =
        client.newUntypedWorkflowStub(workflowId, Optional.of(runId), Optional.of(type));
    CompletableFuture<String> answer =
        CompletableFuture.supplyAsync(
            () ->
                switch (type) {
                  case "BackupPlanWorkflow" ->
                      planStep(stub.query("progress", SourceProgress[].class));
                  case "SourceBackupWorkflow" -> {
                    SourceProgress progress = stub.query("progress", SourceProgress.class);
                    yield progress == null ? null : progress.step();
                  }
                  case "RestoreWorkflow", "DrillWorkflow" ->
                      stub.query("currentStep", String.class);
                  default -> null;
                });
    try {
      return answer.get(QUERY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // No worker answered (or the workflow cannot say): the rest of the status still holds.
      answer.cancel(true);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static String planStep(SourceProgress[] sources) {
    if (sources == null || sources.length == 0) {
      return null;
    }
    return java.util.Arrays.stream(sources)
        .map(source -> source.source() + ": " + source.step())
        .collect(Collectors.joining(", "));
  }

  /** One page of a run's history. */
  private GetWorkflowExecutionHistoryResponse history(
      String workflowId, String runId, HistoryEventFilterType filter, ByteString page) {
    return client
        .getWorkflowServiceStubs()
        .blockingStub()
        .getWorkflowExecutionHistory(
            GetWorkflowExecutionHistoryRequest.newBuilder()
                .setNamespace(client.getOptions().getNamespace())
                .setExecution(
                    WorkflowExecution.newBuilder().setWorkflowId(workflowId).setRunId(runId))
                .setHistoryEventFilterType(filter)
                .setNextPageToken(page)
                .build());
  }

  /** The child runs a run started, in order, from its history; empty if the history is gone. */
  private List<WorkflowExecution> startedChildren(String workflowId, String runId) {
    List<WorkflowExecution> started = new ArrayList<>();
    ByteString page = ByteString.EMPTY;
    try {
      do {
        var response =
            history(
                workflowId,
                runId,
                HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT,
                page);
        for (HistoryEvent event : response.getHistory().getEventsList()) {
          if (event.hasChildWorkflowExecutionStartedEventAttributes()) {
            started.add(
                event.getChildWorkflowExecutionStartedEventAttributes().getWorkflowExecution());
          }
        }
        page = response.getNextPageToken();
      } while (!page.isEmpty());
    } catch (StatusRuntimeException e) {
      return List.of();
    }
    return started;
  }

  /** Why a closed run did not complete, from its close event; null if the history cannot say. */
  private String closeFailure(String workflowId, String runId) {
    try {
      var history =
          history(
                  workflowId,
                  runId,
                  HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
                  ByteString.EMPTY)
              .getHistory();
      for (HistoryEvent event : history.getEventsList()) {
        if (event.hasWorkflowExecutionFailedEventAttributes()) {
          return describe(event.getWorkflowExecutionFailedEventAttributes().getFailure());
        }
        if (event.hasWorkflowExecutionTerminatedEventAttributes()) {
          String reason = event.getWorkflowExecutionTerminatedEventAttributes().getReason();
          return "terminated" + (reason.isEmpty() ? "" : ": " + reason);
        }
        if (event.hasWorkflowExecutionTimedOutEventAttributes()) {
          return "timed out";
        }
        if (event.hasWorkflowExecutionCanceledEventAttributes()) {
          return "cancelled";
        }
      }
      return null;
    } catch (StatusRuntimeException e) {
      return null;
    }
  }

  /**
   * A failure as one line: the innermost application failure ("TYPE: message") when there is one,
   * since the outer ones only say "Activity task failed"; else the outermost message.
   */
  static String describe(Failure failure) {
    String found = null;
    for (Failure cause = failure;
        cause != null;
        cause = cause.hasCause() ? cause.getCause() : null) {
      if (cause.hasApplicationFailureInfo()) {
        String type = cause.getApplicationFailureInfo().getType();
        found = type.isEmpty() ? cause.getMessage() : type + ": " + cause.getMessage();
      }
    }
    return found != null ? found : failure.getMessage();
  }

  private static String stripPrefix(String name, String prefix) {
    return name.startsWith(prefix) ? name.substring(prefix.length()) : name;
  }

  private static Instant instant(Timestamp timestamp) {
    return timestamp == null
        ? null
        : Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
  }
}
