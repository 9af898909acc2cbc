package dev.vigil.starter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.workflows.backup.BackupPlanWorkflow;
import dev.vigil.workflows.backup.PlanRequest;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceProgress;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.common.TaskQueues;
import io.temporal.common.SearchAttributeKey;
import io.temporal.testing.TestWorkflowEnvironment;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Starting runs with Vigil's search attributes and summaries. */
class RunStartsTest {
  private static final long REQUESTED_AT = 1_795_312_800_000L;

  private TestWorkflowEnvironment testEnv;

  @BeforeEach
  void startTestServer() {
    testEnv = TestWorkflowEnvironment.newInstance();
    testEnv.newWorker(TaskQueues.DEFAULT).registerWorkflowImplementationTypes(EmptyPlan.class);
  }

  @AfterEach
  void stopTestServer() {
    testEnv.close();
  }

  @Test
  void aRegisteredServerGetsTheAttributesAndTheSummary() {
    registerAttributes();
    testEnv.start();
    BackupClient backups = new BackupClient(testEnv.getWorkflowClient(), TaskQueues.DEFAULT);

    String id = backups.start("nightly", List.of("appdb"), REQUESTED_AT, "cli (alice)");
    backups.await(id);

    var described = testEnv.getWorkflowClient().newUntypedWorkflowStub(id).describe();
    assertThat(described.getStaticSummary())
        .isEqualTo("Backup of appdb (plan nightly) by cli (alice)");
    var attributes = described.getTypedSearchAttributes();
    assertThat(attributes.get(SearchAttributes.SOURCE)).isEqualTo("appdb");
    assertThat(attributes.get(SearchAttributes.KIND)).isEqualTo("backup-set");
    assertThat(attributes.get(SearchAttributes.TRIGGERED_BY)).isEqualTo("cli (alice)");
    assertThat(attributes.get(SearchAttributes.OUTCOME)).isEqualTo("succeeded");
  }

  @Test
  void attributesGoAlongOnlyWhenTheNamespaceListsEveryOne() {
    var attributes = SearchAttributes.forRun(SearchAttributes.KIND_BACKUP, "appdb", "cli (alice)");

    assertThat(
            RunStarts.covers(
                Set.of("VigilSource", "VigilKind", "VigilOutcome", "VigilTriggeredBy"), attributes))
        .isTrue();
    assertThat(RunStarts.covers(Set.of("VigilKind", "VigilOutcome"), attributes)).isFalse();
  }

  @Test
  void aDuplicateStartIsStillRefused() {
    registerAttributes();
    testEnv.start();
    BackupClient backups = new BackupClient(testEnv.getWorkflowClient(), TaskQueues.DEFAULT);
    backups.await(backups.start("nightly", List.of(), REQUESTED_AT, "cli (alice)"));

    assertThatThrownBy(() -> backups.start("nightly", List.of(), REQUESTED_AT, "cli (bob)"))
        .isInstanceOf(DuplicateRunException.class);
  }

  private void registerAttributes() {
    for (SearchAttributeKey<String> key : SearchAttributes.ALL) {
      testEnv.registerSearchAttribute(key.getName(), key.getValueType());
    }
  }

  /** A plan that backs up nothing, and says so with the outcome wrapper the real one uses. */
  public static final class EmptyPlan implements BackupPlanWorkflow {
    @Override
    public PlanResult run(PlanRequest request) {
      return SearchAttributes.recordingOutcome(
          () -> new PlanResult("set", request.plan(), "COMPLETE", null, 0, 0, List.of()),
          PlanResult::complete);
    }

    @Override
    public List<SourceProgress> progress() {
      return List.of();
    }
  }
}
