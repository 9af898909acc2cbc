package dev.vigil.infra.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Json;
import dev.vigil.activities.drill.DrillCatalog;
import dev.vigil.infra.embedded.EmbeddedStack;
import dev.vigil.starter.DrillClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.drill.DrillComponent;
import dev.vigil.workflows.drill.DrillReport;
import dev.vigil.workflows.drill.DrillWorkflowImpl;
import dev.vigil.workflows.restore.RestoreResult;
import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.CanceledFailure;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DR drills end to end on the embedded stack: the demo data backed up once, then drilled into a
 * fresh cluster and scratch directories with the real restore, validated, measured, recorded in the
 * catalog, and torn down, also when the drill is cancelled.
 */
class DrillIT {
  @TempDir static Path dir;

  private static EmbeddedStack stack;
  private static PlanResult backup;

  @BeforeAll
  static void backUpTheDemoData() throws Exception {
    stack = EmbeddedStack.start(dir.resolve("stack"), System.err);
    // A least-privilege role with a grant: the drill's fresh cluster must recreate it to restore.
    try (var connection =
            java.sql.DriverManager.getConnection(
                stack.postgres().jdbcUrl("appdb"),
                stack.postgres().superuser(),
                stack.postgresPassword());
        var statement = connection.createStatement()) {
      statement.execute("CREATE ROLE app_reader NOLOGIN");
      statement.execute("GRANT SELECT ON customers TO app_reader");
    }
    var backups = stack.backups();
    backup = backups.await(backups.start("nightly", List.of(), System.currentTimeMillis(), "test"));
  }

  @AfterAll
  static void stopStack() {
    stack.close();
  }

  @Test
  void aDrillRestoresTheNewestSetValidatesMeasuresRecordsAndTearsDown() throws Exception {
    assertThat(backup.complete()).isTrue();
    DrillClient drills = stack.drills();

    String drillId = drills.start("quarterly", System.currentTimeMillis() + 10_000, "test");
    DrillReport report = await(drillId);

    assertThat(report.failures()).isEmpty();
    assertThat(report.status()).isEqualTo(DrillReport.PASSED);
    assertThat(report.setId()).isEqualTo(backup.setId());
    assertThat(report.components())
        .extracting(DrillComponent::source)
        .containsExactly("appdb", "models", "datasets", "config");
    for (DrillComponent component : report.components()) {
      assertThat(component.passed()).isTrue();
      assertThat(component.status()).isEqualTo("RESTORED");
      assertThat(component.rtoMillis()).isPositive();
      assertThat(component.rpoMillis()).isPositive();
      assertThat(component.restoreMillis()).isPositive().isLessThanOrEqualTo(component.rtoMillis());
      assertThat(component.validation()).startsWith("passed");
    }
    DrillComponent appdb = report.components().get(0);
    assertThat(appdb.rtoObjectiveMillis()).isEqualTo(3_600_000);
    assertThat(appdb.checks()).anySatisfy(check -> assertThat(check).contains("conversations"));
    assertThat(report.totalRtoMillis()).isPositive();
    assertThat(report.worstRpoMillis()).isPositive();
    assertThat(report.objectives().rtoMillis())
        .as("the loosest source objective")
        .isEqualTo(14_400_000);

    DrillReport recorded =
        new DrillCatalog(stack.services().catalogDataSource()).find(drillId).orElseThrow();
    assertThat(recorded).isEqualTo(report);

    int port =
        stack
            .client()
            .newUntypedWorkflowStub(DrillWorkflowImpl.restoreWorkflowId(drillId, "appdb"))
            .getResult(RestoreResult.class)
            .target()
            .port();
    assertThat(port).isNotEqualTo(stack.postgres().port());
    assertThat(listening(port)).as("the drill's cluster is stopped").isFalse();
    assertThat(scratchDir(drillId)).as("scratch directories are removed").doesNotExist();
  }

  @Test
  void aCancelledDrillStillStopsItsClusterAndRemovesItsScratchDirectories() throws Exception {
    DrillClient drills = stack.drills();
    String drillId = drills.start("quarterly", System.currentTimeMillis() + 20_000, "test");
    Path description = scratchDir(drillId).resolve("environment.json");
    long deadline = System.currentTimeMillis() + 60_000;
    while (!Files.exists(description) && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    int port = Json.MAPPER.readTree(description.toFile()).get("port").asInt();
    assertThat(listening(port)).isTrue();
    // Cancel once the drill has taken in the environment, not in the very workflow task that
    // completes create-environment: the Temporal test server then rejects the activity's cancel
    // (ACTIVITY_UNKNOWN) and never hands the workflow a new task (temporalio/sdk-java#2391;
    // a real server carries on).
    while (!"restore".equals(drills.stub(drillId).query("currentStep", String.class))
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }

    drills.stub(drillId).cancel();

    assertThatThrownBy(() -> await(drillId))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    assertThat(listening(port)).isFalse();
    assertThat(scratchDir(drillId)).doesNotExist();
    DrillReport recorded =
        new DrillCatalog(stack.services().catalogDataSource()).find(drillId).orElseThrow();
    assertThat(recorded.status()).isEqualTo(DrillReport.FAILED);
    assertThat(recorded.failures()).anySatisfy(f -> assertThat(f).contains("cancelled"));
  }

  /** The drill's report; a drill that hangs fails the test instead of the build. */
  private static DrillReport await(String drillId) throws Exception {
    return stack
        .client()
        .newUntypedWorkflowStub(drillId)
        .getResult(3, TimeUnit.MINUTES, DrillReport.class);
  }

  private static Path scratchDir(String drillId) {
    return stack.config().worker().spoolDir().resolve("drills").resolve(drillId);
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }
}
