package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.starter.read.ActivityProgress;
import dev.vigil.starter.read.RunStatus;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgressRendererTest {
  private static final long MIB = 1024 * 1024;

  @Test
  void planDrawsOneLinePerOpenSourceWithBarBytesAndAttempt() {
    RunStatus appdb =
        run(
            "backup-appdb-20261120T020000Z",
            "upload",
            List.of(activity("Upload", 512 * MIB, 1229 * MIB, 2)),
            List.of());
    RunStatus models =
        run(
            "backup-models-20261120T020000Z",
            "dump",
            List.of(activity("Dump", 3 * MIB, null, 1)),
            List.of());
    RunStatus plan =
        run(
            "backup-set-nightly-20261120T020000Z",
            "appdb: upload, models: dump",
            List.of(),
            List.of(appdb, models));

    assertThat(ProgressRenderer.lines(plan))
        .containsExactly(
            "appdb  upload  [########............]  512.0 MiB / 1.2 GiB  attempt 2",
            "models  dump  3.0 MiB");
  }

  @Test
  void runWithoutChildrenOrBytesShowsItsStepOrActivityOrState() {
    assertThat(
            ProgressRenderer.lines(
                run("restore-appdb-20261120T040000Z", "validate", List.of(), List.of())))
        .containsExactly("appdb  validate");
    assertThat(
            ProgressRenderer.line(
                run(
                    "drill-quarterly-20261120",
                    null,
                    List.of(activity("StartEnvironment", null, null, 3)),
                    List.of())))
        .isEqualTo("quarterly  StartEnvironment  attempt 3");
    assertThat(ProgressRenderer.line(run("custom", null, List.of(), List.of())))
        .isEqualTo("custom  running");
  }

  @Test
  void barIsClampedAndLabelsKeepDashesInNames() {
    assertThat(ProgressRenderer.bar(0, 100)).isEqualTo("[....................]");
    assertThat(ProgressRenderer.bar(100, 100)).isEqualTo("[####################]");
    assertThat(ProgressRenderer.bar(250, 100)).isEqualTo("[####################]");
    assertThat(ProgressRenderer.label("backup-feature-store-20261120T020000Z"))
        .isEqualTo("feature-store");
    assertThat(ProgressRenderer.label("backup-set-nightly-20261120T020000Z")).isEqualTo("nightly");
  }

  @Test
  void sinceTakesAgesDatesAndInstants() {
    Instant now = Instant.parse("2026-11-20T12:00:00Z");

    assertThat(Since.parse("7d", now)).isEqualTo(Instant.parse("2026-11-13T12:00:00Z"));
    assertThat(Since.parse("12h", now)).isEqualTo(Instant.parse("2026-11-20T00:00:00Z"));
    assertThat(Since.parse("30m", now)).isEqualTo(Instant.parse("2026-11-20T11:30:00Z"));
    assertThat(Since.parse("2026-11-19", now)).isEqualTo(Instant.parse("2026-11-19T00:00:00Z"));
    assertThat(Since.parse("2026-11-19T02:00:00+01:00", now))
        .isEqualTo(Instant.parse("2026-11-19T01:00:00Z"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Since.parse("last week", now))
        .hasMessageContaining("expected an age such as 7d");
  }

  private static RunStatus run(
      String workflowId, String step, List<ActivityProgress> activities, List<RunStatus> children) {
    return new RunStatus(
        workflowId, "r", "T", "RUNNING", Instant.EPOCH, null, step, activities, children, null);
  }

  private static ActivityProgress activity(String type, Long done, Long total, int attempt) {
    return new ActivityProgress(type, "STARTED", attempt, done, total, null, null, null);
  }
}
