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

class DrillConfigParserTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

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
          objectives: {rpo: 24h, rto: 1h}
        models:
          type: directory
          kind: model
          path: data/models
          objectives: {rpo: 7d, rto: 2h}
      """;

  @Test
  void withoutADrillsSectionThereIsADefaultPlanOverEverySourceQuarterly() throws IOException {
    VigilConfig config = loader.load(write(BASE));

    assertThat(config.drills())
        .containsOnlyKeys("default")
        .containsValue(
            new DrillPlanConfig(
                "default", List.of("appdb", "models"), Objectives.NONE, "0 3 1 1,4,7,10 *"));
  }

  @Test
  void aPlanNamesItsSourcesObjectivesAndSchedule() throws IOException {
    VigilConfig config =
        loader.load(
            write(
                BASE
                    + """
                    drills:
                      weekly-db:
                        sources: [appdb]
                        objectives: {rto: 30m, rpo: 12h}
                        schedule: "0 4 * * 0"
                      quarterly: {}
                    """));

    assertThat(config.drills().get("weekly-db"))
        .isEqualTo(
            new DrillPlanConfig(
                "weekly-db",
                List.of("appdb"),
                new Objectives(Duration.ofHours(12), Duration.ofMinutes(30)),
                "0 4 * * 0"));
    assertThat(config.drills().get("quarterly"))
        .isEqualTo(
            new DrillPlanConfig(
                "quarterly", List.of("appdb", "models"), Objectives.NONE, "0 3 1 1,4,7,10 *"));
    assertThat(config.drills()).doesNotContainKey("default");
  }

  @Test
  void everyProblemOfAPlanIsReportedWithItsFieldPath() throws IOException {
    Path file =
        write(
            BASE
                + """
                drills:
                  Nightly_DR:
                    sources: [appdb, payments, appdb]
                    objectives: {rto: soon}
                    schedule: "every quarter"
                    owner: sre
                """);

    assertThatThrownBy(() -> loader.load(file))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .extracting(line -> line.substring(line.indexOf("vigil.yaml: ")))
                    .containsExactlyInAnyOrder(
                        "vigil.yaml: drills.Nightly_DR at line 19: plan names are lower-case letters, digits"
                            + " and '-' (they go into ids)",
                        "vigil.yaml: drills.Nightly_DR.owner at line 23: unknown field; expected one of"
                            + " [sources, objectives, schedule]",
                        "vigil.yaml: drills.Nightly_DR.sources at line 20: no source 'payments'; known:"
                            + " [appdb, models]",
                        "vigil.yaml: drills.Nightly_DR.sources at line 20: source 'appdb' is listed twice",
                        "vigil.yaml: drills.Nightly_DR.objectives.rto at line 21: expected a duration such as"
                            + " 90s, 15m, 24h, 7d or PT1H, got \"soon\"",
                        "vigil.yaml: drills.Nightly_DR.schedule at line 22: expected five fields (minute hour"
                            + " day-of-month month day-of-week, UTC), got 2 in \"every quarter\""));
  }

  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.createDirectories(dir.resolve("data/models"));
    Files.writeString(file, yaml);
    return file;
  }
}
