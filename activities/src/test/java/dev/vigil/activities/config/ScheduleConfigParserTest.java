package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScheduleConfigParserTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);
  private static final Duration HOUR = Duration.ofHours(1);

  @TempDir Path dir;

  private final ConfigLoader loader = new ConfigLoader(Map.of("VIGIL_KEY", KEY)::get);

  private static final String BASE =
      """
      repositories:
        main:
          bucket: vigil-backups
      encryption:
        key-env: VIGIL_KEY
      sources:
        appdb:
          type: postgres
          host: db.internal
          database: app
          user: backup
        models:
          type: directory
          kind: model
          path: data/models
      """;

  @Test
  void withoutASchedulesSectionTheDefaultsApplyAndRetentionOnlyWhenConfigured() throws IOException {
    VigilConfig config = loader.load(write(BASE));

    assertThat(config.schedules().values())
        .containsExactly(
            new ScheduleConfig(
                "nightly-backup", "backup", "0 2 * * *", "nightly", List.of(), HOUR, false),
            new ScheduleConfig(
                "weekly-restore-test",
                "restore-test",
                "0 4 * * 0",
                "default",
                List.of(),
                HOUR,
                false),
            new ScheduleConfig(
                "quarterly-drill", "drill", "0 3 1 1,4,7,10 *", "default", List.of(), HOUR, false));
  }

  @Test
  void defaultsHaveADrillPerPlanOnItsScheduleAndDailyRetentionWhenRulesExist() throws IOException {
    String yaml =
        BASE.replace("    user: backup\n", "    user: backup\n    retention: {keep-last: 3}\n")
            + """
            drills:
              full: {schedule: "0 3 1 * *"}
              models-only: {sources: [models]}
            """;

    VigilConfig config = loader.load(write(yaml));

    assertThat(config.schedules())
        .containsOnlyKeys(
            "nightly-backup",
            "weekly-restore-test",
            "quarterly-drill-full",
            "quarterly-drill-models-only",
            "daily-retention");
    assertThat(config.schedules().get("weekly-restore-test").plan()).isEqualTo("full");
    assertThat(config.schedules().get("quarterly-drill-full").cron()).isEqualTo("0 3 1 * *");
    assertThat(config.schedules().get("quarterly-drill-models-only").cron())
        .isEqualTo("0 3 1 1,4,7,10 *");
    assertThat(config.schedules().get("daily-retention"))
        .isEqualTo(
            new ScheduleConfig(
                "daily-retention", "retention", "30 5 * * *", null, List.of(), HOUR, false));
  }

  @Test
  void aReportScheduleHasNeitherPlanNorSources() throws IOException {
    VigilConfig config =
        loader.load(
            write(BASE + "schedules:\n  daily-report: {kind: report, cron: \"0 6 * * *\"}\n"));

    assertThat(config.schedules().values())
        .containsExactly(
            new ScheduleConfig(
                "daily-report", "report", "0 6 * * *", null, List.of(), HOUR, false));

    Path wrong =
        write(
            BASE
                + "schedules:\n  daily-report: {kind: report, cron: \"0 6 * * *\", plan: x,"
                + " sources: [appdb]}\n");
    assertThatThrownBy(() -> loader.load(wrong))
        .hasMessageContaining(
            "schedules.daily-report.plan at line 17: a report schedule has no plan; the report"
                + " covers every source")
        .hasMessageContaining(
            "schedules.daily-report.sources at line 17: a report schedule has no sources; the"
                + " report covers every source");
  }

  @Test
  void aDeclaredSectionReplacesTheDefaults() throws IOException {
    VigilConfig config =
        loader.load(
            write(
                BASE
                    + """
                    schedules:
                      hourly-db:
                        kind: backup
                        cron: "0  *  *  *  MON-FRI"
                        sources: [appdb]
                        catchup-window: 15m
                      monthly-drill:
                        kind: drill
                        cron: "0 3 1 * *"
                        paused: true
                      cleanup:
                        kind: retention
                        cron: "30 5 * * *"
                    """));

    assertThat(config.schedules().values())
        .containsExactly(
            new ScheduleConfig(
                "hourly-db",
                "backup",
                "0 * * * MON-FRI",
                "hourly-db",
                List.of("appdb"),
                Duration.ofMinutes(15),
                false),
            new ScheduleConfig(
                "monthly-drill", "drill", "0 3 1 * *", "default", List.of(), HOUR, true),
            new ScheduleConfig("cleanup", "retention", "30 5 * * *", null, List.of(), HOUR, false));
  }

  @Test
  void anEmptySectionMeansNoSchedules() throws IOException {
    assertThat(loader.load(write(BASE + "schedules: {}\n")).schedules()).isEmpty();
  }

  @Test
  void everyProblemIsReportedWithItsKeyPath() throws IOException {
    Path file =
        write(
            BASE
                + """
                schedules:
                  nightly:
                    kind: backups
                    cron: "0 2 * *"
                  late:
                    kind: backup
                    cron: "0 25 * * *"
                    sources: [appdb, payments]
                    catchup-window: soon
                    owner: sre
                  drill-x:
                    kind: drill
                    cron: "0 3 1 JAN,APRIL *"
                    plan: quarterly
                    sources: [appdb]
                  tidy:
                    kind: retention
                    plan: nightly
                  Bad_Name:
                    kind: backup
                    cron: "0 2 * * *"
                """);

    assertThatThrownBy(() -> loader.load(file))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .extracting(line -> line.substring(line.indexOf("vigil.yaml: ")))
                    .containsExactlyInAnyOrder(
                        "vigil.yaml: schedules.nightly.kind at line 18: expected one of [backup, drill,"
                            + " report, restore-test, retention], got \"backups\"",
                        "vigil.yaml: schedules.nightly.cron at line 19: expected five fields (minute hour"
                            + " day-of-month month day-of-week, UTC), got 4 in \"0 2 * *\"",
                        "vigil.yaml: schedules.late.owner at line 25: unknown field; expected one of [kind,"
                            + " cron, plan, sources, catchup-window, paused]",
                        "vigil.yaml: schedules.late.cron at line 22: hour: 25 is out of range 0-23",
                        "vigil.yaml: schedules.late.catchup-window at line 24: expected a duration such as"
                            + " 90s, 15m, 24h, 7d or PT1H, got \"soon\"",
                        "vigil.yaml: schedules.late.sources at line 23: no source 'payments'; known: [appdb,"
                            + " models]",
                        "vigil.yaml: schedules.drill-x.cron at line 28: month: expected a number (or JAN-DEC)"
                            + " as value, got \"APRIL\"",
                        "vigil.yaml: schedules.drill-x.plan at line 29: no drill plan 'quarterly'; known:"
                            + " [default] (drills:)",
                        "vigil.yaml: schedules.drill-x.sources at line 30: a drill restores its drill plan's"
                            + " sources; set them under drills:",
                        "vigil.yaml: schedules.tidy.cron: missing; five fields, UTC (minute hour"
                            + " day-of-month month day-of-week), e.g. \"0 2 * * *\" (in schedules.tidy at line 31)",
                        "vigil.yaml: schedules.tidy.plan at line 33: a retention schedule has no plan; remove"
                            + " it (use sources)",
                        "vigil.yaml: schedules.Bad_Name at line 34: schedule names are lower-case letters,"
                            + " digits and '-' (they go into ids)"));
  }

  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.createDirectories(dir.resolve("data/models"));
    Files.writeString(file, yaml);
    return file;
  }
}
