package dev.vigil.workflows.retention;

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
 * Replays retention runs: one recorded before WAL retention existed (its plans have no {@code wal}
 * field), so runs open on older workers finish on newer ones, and one recorded with the WAL step
 * behind its {@code Workflow.getVersion} marker, so later changes keep it replayable.
 */
class RetentionWorkflowReplayTest {
  private static final String BEFORE_WAL = "/histories/retention-before-wal.json";
  private static final String WITH_WAL = "/histories/retention-wal.json";

  @Test
  void aRunRecordedBeforeWalRetentionReplaysWithoutNondeterminism() throws Exception {
    WorkflowReplayer.replayWorkflowExecution(read(BEFORE_WAL), RetentionWorkflowImpl.class);

    assertThat(activities(BEFORE_WAL)).doesNotContain("RetentionDeleteExpiredWal");
  }

  @Test
  void aRunWithTheWalStepReplaysAndDeletesWalAfterThePrunes() throws Exception {
    WorkflowReplayer.replayWorkflowExecution(read(WITH_WAL), RetentionWorkflowImpl.class);

    assertThat(activities(WITH_WAL))
        .containsSubsequence(
            "RetentionMarkPruned", "RetentionDeleteExpiredWal", "RetentionRemoveLocalArtifact");
  }

  private static java.util.List<String> activities(String resource) throws IOException {
    return WorkflowExecutionHistory.fromJson(read(resource)).getEvents().stream()
        .filter(event -> event.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        .map(RetentionWorkflowReplayTest::activityType)
        .toList();
  }

  private static String activityType(HistoryEvent event) {
    return event.getActivityTaskScheduledEventAttributes().getActivityType().getName();
  }

  private static String read(String resource) throws IOException {
    try (InputStream in = RetentionWorkflowReplayTest.class.getResourceAsStream(resource)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
