package dev.vigil.workflows.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.api.enums.v1.EventType;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Replays a plan run recorded before the "duplicate-run-not-in-set" change: the plan "models" whose
 * only source was already being backed up by plan "nightly" in the same second (its child start
 * refused, {@code DUPLICATE_RUN}). Runs in flight at an upgrade keep replaying.
 */
class BackupPlanWorkflowReplayTest {
  private static final String DUPLICATE_RUN = "/histories/backup-plan-duplicate-run.json";

  @Test
  void planRunWithADuplicateSourceRecordedBeforeTheChangeReplays() throws Exception {
    WorkflowExecutionHistory history = WorkflowExecutionHistory.fromJson(read());

    assertThat(history.getEvents())
        .as("recorded before the change: a refused child start, no marker of the change")
        .anyMatch(
            e -> e.getEventType() == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED)
        .noneMatch(
            e ->
                e.getEventType() == EventType.EVENT_TYPE_MARKER_RECORDED
                    && e.toString().contains(BackupPlanWorkflowImpl.DUPLICATE_NOT_IN_SET));
    WorkflowReplayer.replayWorkflowExecution(history, BackupPlanWorkflowImpl.class);
  }

  private static String read() throws IOException {
    try (InputStream in = BackupPlanWorkflowReplayTest.class.getResourceAsStream(DUPLICATE_RUN)) {
      assertThat(in).as("test resource %s", DUPLICATE_RUN).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
