package dev.vigil.workflows.restore;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Replays a history recorded from a happy-path restore before the target check moved ahead of the
 * download, so restores running on older workers finish on newer ones: the check runs only behind
 * its {@code Workflow.getVersion} marker.
 */
class RestoreWorkflowReplayTest {
  private static final String BEFORE_TARGET_CHECK = "/histories/restore-happy-path.json";

  /**
   * Recorded by {@code RestoreWorkflowTest}'s happy path on the commit before point-in-time
   * recovery (stoppable steps, the target check and search attributes, no PITR marker).
   */
  private static final String BEFORE_POINT_IN_TIME = "/histories/restore-before-point-in-time.json";

  @Test
  void aRestoreRecordedBeforeTheTargetCheckReplaysWithoutNondeterminism() throws Exception {
    WorkflowReplayer.replayWorkflowExecution(read(BEFORE_TARGET_CHECK), RestoreWorkflowImpl.class);
  }

  @Test
  void aRestoreRecordedBeforePointInTimeRecoveryReplaysWithoutNondeterminism() throws Exception {
    WorkflowReplayer.replayWorkflowExecution(read(BEFORE_POINT_IN_TIME), RestoreWorkflowImpl.class);
  }

  @Test
  void theRecordedRestoreBeforePointInTimeRecoveryFetchesNoWal() throws IOException {
    WorkflowExecutionHistory history =
        WorkflowExecutionHistory.fromJson(read(BEFORE_POINT_IN_TIME));

    assertThat(history.getEvents())
        .filteredOn(event -> event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        .extracting(RestoreWorkflowReplayTest::activityType)
        .startsWith("SelectBackup", "ReserveHost", "CheckTarget", "DownloadBackup")
        .doesNotContain("FetchWal", "RecoverPhysical");
  }

  @Test
  void theRecordedRestoreDownloadsRightAfterReservingTheHost() throws IOException {
    WorkflowExecutionHistory history = WorkflowExecutionHistory.fromJson(read(BEFORE_TARGET_CHECK));

    assertThat(history.getEvents())
        .filteredOn(event -> event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        .extracting(RestoreWorkflowReplayTest::activityType)
        .startsWith("SelectBackup", "ReserveHost", "DownloadBackup")
        .doesNotContain("CheckTarget");
  }

  private static String activityType(HistoryEvent event) {
    return event.getActivityTaskScheduledEventAttributes().getActivityType().getName();
  }

  private static String read(String resource) throws IOException {
    try (InputStream in = RestoreWorkflowReplayTest.class.getResourceAsStream(resource)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
