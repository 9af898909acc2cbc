package dev.vigil.workflows.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.workflow.Workflow;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Replays a history recorded from a happy-path run of {@link SourceBackupWorkflowImpl}, so a change
 * that would break backups already running in production fails here instead. A deliberate change of
 * steps goes behind {@code Workflow.getVersion}; then this history must still replay.
 */
class SourceBackupWorkflowReplayTest {
  private static final String HAPPY_PATH = "/histories/source-backup-happy-path.json";

  /** The same run after the "search-attributes" change: summaries, version marker, upsert. */
  private static final String WITH_SEARCH_ATTRIBUTES =
      "/histories/source-backup-search-attributes.json";

  /** A backup cancelled during its dump, recorded before the "stoppable-steps" change. */
  private static final String CANCELLED = "/histories/source-backup-cancelled.json";

  /** The same cancel after the "stoppable-steps" change: version marker, settle and stop timers. */
  private static final String CANCELLED_STOPPABLE =
      "/histories/source-backup-cancelled-stoppable-steps.json";

  @Test
  void savedCancelledHistoriesBeforeAndAfterStoppableStepsReplayWithoutNondeterminism()
      throws Exception {
    WorkflowReplayer.replayWorkflowExecution(read(CANCELLED), SourceBackupWorkflowImpl.class);
    WorkflowReplayer.replayWorkflowExecution(
        read(CANCELLED_STOPPABLE), SourceBackupWorkflowImpl.class);
  }

  @Test
  void aCancelledStepIsAskedToStopOnlyAfterTheSettleWait() throws IOException {
    List<EventType> events =
        WorkflowExecutionHistory.fromJson(read(CANCELLED_STOPPABLE)).getEvents().stream()
            .map(HistoryEvent::getEventType)
            .toList();

    assertThat(events.indexOf(EventType.EVENT_TYPE_TIMER_FIRED))
        .isPositive()
        .isGreaterThan(events.indexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED))
        .isLessThan(events.indexOf(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED));
    assertThat(events).endsWith(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
  }

  @Test
  void savedHappyPathHistoryReplaysWithoutNondeterminism() throws Exception {
    WorkflowReplayer.replayWorkflowExecution(read(HAPPY_PATH), SourceBackupWorkflowImpl.class);
  }

  @Test
  void savedHistoryWithSearchAttributesReplaysWithoutNondeterminism() throws Exception {
    WorkflowReplayer.replayWorkflowExecution(
        read(WITH_SEARCH_ATTRIBUTES), SourceBackupWorkflowImpl.class);
  }

  @Test
  void savedHistoryWithSearchAttributesEndsByUpsertingTheOutcomeBehindItsVersionMarker()
      throws IOException {
    WorkflowExecutionHistory history =
        WorkflowExecutionHistory.fromJson(read(WITH_SEARCH_ATTRIBUTES));

    List<EventType> lastEvents =
        history.getEvents().stream()
            .map(HistoryEvent::getEventType)
            .skip(history.getEvents().size() - 3)
            .toList();
    assertThat(lastEvents)
        .containsExactly(
            EventType.EVENT_TYPE_MARKER_RECORDED,
            EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
            EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    assertThat(history.getEvents())
        .filteredOn(event -> event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        .filteredOn(
            event ->
                event
                    .getActivityTaskScheduledEventAttributes()
                    .getActivityType()
                    .getName()
                    .equals("Dump"))
        .singleElement()
        .satisfies(
            dump ->
                assertThat(dump.getUserMetadata().getSummary().getData().toStringUtf8())
                    .isEqualTo("\"dump orders-db (postgres)\""));
  }

  @Test
  void savedHappyPathHistoryRecordsEveryStepOfACompletedBackup() throws IOException {
    WorkflowExecutionHistory history = WorkflowExecutionHistory.fromJson(read(HAPPY_PATH));

    assertThat(history.getEvents())
        .filteredOn(event -> event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        .extracting(
            event -> event.getActivityTaskScheduledEventAttributes().getActivityType().getName())
        .containsExactly(
            "ReserveHost",
            "BeginBackup",
            "Dump",
            "VerifyDump",
            "Seal",
            "Upload",
            "VerifyUpload",
            "MarkArchived",
            "CleanSpool");
    assertThat(history.getLastEvent())
        .extracting(HistoryEvent::getEventType)
        .isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  }

  @Test
  void replayRejectsAWorkflowThatSkipsAStepOfTheSavedHistory() throws IOException {
    String history = read(HAPPY_PATH);

    assertThatThrownBy(
            () ->
                WorkflowReplayer.replayWorkflowExecution(
                    history, SourceBackupWithoutBeginStep.class))
        .hasStackTraceContaining("NonDeterministic");
  }

  private static String read(String resource) throws IOException {
    try (InputStream in = SourceBackupWorkflowReplayTest.class.getResourceAsStream(resource)) {
      assertThat(in).as("test resource %s", resource).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The shipped workflow with its second step removed and no version check: not replay-safe. */
  public static final class SourceBackupWithoutBeginStep implements SourceBackupWorkflow {
    private final BackupActivities shared =
        Workflow.newActivityStub(
            BackupActivities.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofMinutes(1)).build());

    @Override
    public SourceBackupResult backup(SourceBackupRequest request) {
      HostQueue host = shared.reserveHost();
      SpoolActivities spool =
          Workflow.newActivityStub(
              SpoolActivities.class,
              ActivityOptions.newBuilder()
                  .setTaskQueue(host.taskQueue())
                  .setStartToCloseTimeout(Duration.ofMinutes(1))
                  .build());
      spool.dump(new DumpRequest(request.backupId(), request.source()));
      return SourceBackupResult.failed(request.backupId(), request.source(), "TEST", "unreachable");
    }

    @Override
    public SourceProgress progress() {
      return new SourceProgress(null, null, null, null);
    }
  }
}
