package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.workflows.retention.LocalArtifactDecision;
import dev.vigil.workflows.retention.RetentionAction;
import dev.vigil.workflows.retention.RetentionDecision;
import dev.vigil.workflows.retention.RetentionResult;
import dev.vigil.workflows.retention.SourcePlan;
import dev.vigil.workflows.retention.SourceRetentionResult;
import dev.vigil.workflows.retention.WalExpiry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetentionReportTest {

  @Test
  void aDryRunPrintsOneRowPerBackupWithAgeRuleAndAction() {
    long now = 1_700_000_000_000L;
    long day = Duration.ofDays(1).toMillis();
    SourcePlan plan =
        new SourcePlan(
            "models",
            "model",
            List.of(
                new RetentionDecision(
                    "models-3",
                    "models",
                    "ARCHIVED",
                    now - day,
                    "STANDARD",
                    1,
                    RetentionAction.KEEP,
                    List.of("keep-last"),
                    "kept by keep-last"),
                new RetentionDecision(
                    "models-2",
                    "models",
                    "ARCHIVED",
                    now - 40 * day,
                    "GLACIER",
                    1,
                    RetentionAction.ARCHIVE,
                    List.of("archive-after"),
                    "40d 0h old")),
            List.of(
                new LocalArtifactDecision(
                    "models",
                    "run/checkpoint-1",
                    "checkpoint",
                    now - 10 * day,
                    1,
                    5,
                    true,
                    "models-3",
                    "held by models-3")),
            List.of());
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    RetentionReport.print(
        new RetentionResult(
            "retention-dry-run-x",
            true,
            List.of(new SourceRetentionResult("models", plan, List.of(), List.of(), 0))),
        now,
        new PrintStream(out, true, StandardCharsets.UTF_8));

    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("retention plan (dry run, nothing changed) retention-dry-run-x")
        .containsPattern("backup +age +rule +action +reason")
        .containsPattern("models-3 +1d 0h +keep-last +KEEP +kept by keep-last")
        .containsPattern("models-2 +40d 0h +archive-after +ARCHIVE → GLACIER +40d 0h old")
        .containsPattern(
            "local run/checkpoint-1 +10d 0h +checkpoint +REMOVE LOCAL +held by models-3");
  }

  @Test
  void aPlanOfAPhysicalSourceSaysHowMuchWalWouldGoAndForWhichBackup() {
    SourcePlan plan =
        new SourcePlan(
            "appdb",
            "database",
            List.of(),
            List.of(),
            List.of(),
            new WalExpiry("appdb", "000000010000000000000025", "appdb-7", 37, 2, 1 << 20, null));
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    RetentionReport.print(
        new RetentionResult(
            "retention-dry-run-y",
            true,
            List.of(new SourceRetentionResult("appdb", plan, List.of(), List.of(), 0))),
        1_700_000_000_000L,
        new PrintStream(out, true, StandardCharsets.UTF_8));

    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "  WAL: 37 segments and 2 labels/partial files before 000000010000000000000025 (kept"
                + " for backup appdb-7)");
  }
}
