package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sources.*.retention and sources.*.archive-rows: parsed values and every error, before a run. */
class RetentionConfigParserTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  @TempDir Path dir;

  private final ConfigLoader loader = new ConfigLoader(Map.of("VIGIL_KEY", KEY)::get);

  private static final String HEAD =
      """
      repositories:
        main: {bucket: vigil-backups}
      encryption:
        key-env: VIGIL_KEY
      sources:
        appdb:
          type: postgres
          host: db.internal
          database: app
          user: backup
      %s
        models:
          type: directory
          kind: model
          path: models
      %s
      """;

  @Test
  void parsesKeepRulesArchivalCheckpointsAndRowArchival() throws IOException {
    VigilConfig config =
        load(
            """
                retention: {keep-daily: 30, keep-weekly: 12, keep-monthly: unlimited, keep-within: 90d}
                archive-rows:
                  conversations: {timestamp-column: started_at, older-than: 90d}
                  audit.events: {timestamp-column: at, older-than: 1w, key-column: event_id}
            """,
            """
                retention:
                  keep-last: 3
                  archive-after: 30d
                  archive-storage-class: DEEP_ARCHIVE
                  delete-archived-after: 365d
                  checkpoints: {checkpoint: 2d, production: forever, best: 10d}
            """);

    RetentionConfig appdb = config.retention().get("appdb");
    assertThat(appdb.keepDaily()).isEqualTo(30);
    assertThat(appdb.keepMonthly()).isEqualTo(RetentionConfig.UNLIMITED);
    assertThat(appdb.keepWithin()).isEqualTo(Duration.ofDays(90));
    assertThat(appdb.archiveStorageClass()).isEqualTo("GLACIER");
    assertThat(appdb.checkpointMaxAge()).isEmpty();
    RetentionConfig models = config.retention().get("models");
    assertThat(models.keepLast()).isEqualTo(3);
    assertThat(models.archiveAfter()).isEqualTo(Duration.ofDays(30));
    assertThat(models.archiveStorageClass()).isEqualTo("DEEP_ARCHIVE");
    assertThat(models.checkpointMaxAge())
        .containsEntry("checkpoint", Duration.ofDays(2))
        .containsEntry("best", Duration.ofDays(10))
        .containsEntry("production", null)
        .containsEntry("rollback", Duration.ofDays(30));
    RowArchivalConfig rows = config.rowArchival().get("appdb");
    assertThat(rows.tables())
        .containsExactly(
            new RowArchivalConfig.Table(
                "public",
                "conversations",
                "started_at",
                "id",
                Duration.ofDays(90),
                "archived",
                "archive_key"),
            new RowArchivalConfig.Table(
                "audit",
                "events",
                "at",
                "event_id",
                Duration.ofDays(7),
                "archived",
                "archive_key"));
  }

  @Test
  void aModelDirectoryWithoutCheckpointRulesGetsTheDefaultAges() throws IOException {
    VigilConfig config = load("", "    retention: {keep-last: 3}\n");
    assertThat(config.retention().get("models").checkpointMaxAge())
        .containsEntry("checkpoint", Duration.ofDays(7))
        .containsEntry("best", Duration.ofDays(90))
        .containsEntry("production", null)
        .containsEntry("rollback", Duration.ofDays(30));
    assertThat(config.retention()).doesNotContainKey("appdb");
  }

  @Test
  void negativeCountsUnknownClassesAndContradictionsFailBeforeAnythingRuns() throws IOException {
    Path file =
        write(
            """
                retention:
                  keep-last: -3
                  keep-daily: lots
                  archive-storage-class: FREEZER
                  checkpoints: {checkpoint: 2d}
                archive-rows:
                  conversations: {timestamp-column: "started_at; DROP TABLE x", older-than: 0d}
                  "bad-name!": {timestamp-column: at, older-than: 1d}
            """,
            """
                retention:
                  archive-after: 30d
                  delete-archived-after: 7d
                  checkpoints: {checkpoint: soon, snapshot: 1d}
                  keep-hourly: 3
            """);

    assertThatThrownBy(() -> loader.load(file))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .containsExactlyInAnyOrder(
                        file
                            + ": sources.appdb.retention.keep-last at line 12: expected a whole number of 0 or"
                            + " more, or \"unlimited\", got \"-3\"",
                        file
                            + ": sources.appdb.retention.keep-daily at line 13: expected a whole number of 0 or"
                            + " more, or \"unlimited\", got \"lots\"",
                        file
                            + ": sources.appdb.retention.archive-storage-class at line 14: expected one of"
                            + " [DEEP_ARCHIVE, GLACIER, GLACIER_IR, ONEZONE_IA, STANDARD_IA], got"
                            + " \"FREEZER\"",
                        file
                            + ": sources.appdb.retention.checkpoints at line 15: checkpoint rules apply to"
                            + " model directories only (type: directory, kind: model); remove"
                            + " retention.checkpoints from this source",
                        file
                            + ": sources.appdb.archive-rows.conversations.timestamp-column at line 17:"
                            + " expected a column name (letters, digits, '_'), got \"started_at;"
                            + " DROP TABLE x\"",
                        file
                            + ": sources.appdb.archive-rows.conversations.older-than at line 17: must be"
                            + " longer than zero",
                        file
                            + ": sources.appdb.archive-rows.bad-name! at line 18: expected a table name"
                            + " such as conversations or app.conversations",
                        file
                            + ": sources.models.retention.keep-hourly at line 27: unknown field; expected"
                            + " one of [keep-last, keep-daily, keep-weekly, keep-monthly,"
                            + " keep-yearly, keep-within, archive-after, archive-unused-after,"
                            + " archive-storage-class, delete-archived-after, checkpoints]",
                        file
                            + ": sources.models.retention.delete-archived-after at line 25: must be longer"
                            + " than archive-after (30d 0h); cold copies would be deleted before"
                            + " they are made",
                        file
                            + ": sources.models.retention.checkpoints.snapshot at line 26: unknown field;"
                            + " expected one of [checkpoint, best, production, rollback]",
                        file
                            + ": sources.models.retention.checkpoints.checkpoint at line 26: expected a"
                            + " duration such as 90s, 15m, 24h, 7d or PT1H, got \"soon\""));
  }

  @Test
  void rowArchivalOnADirectorySourceIsAnUnknownField() throws IOException {
    Path file =
        write(
            "", "    archive-rows:\n      conversations: {timestamp-column: at, older-than: 1d}\n");
    assertThatThrownBy(() -> loader.load(file))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .singleElement()
                    .asString()
                    .contains("sources.models.archive-rows at line 16: unknown field"));
  }

  private VigilConfig load(String appdbExtra, String modelsExtra) throws IOException {
    return loader.load(write(appdbExtra, modelsExtra));
  }

  private Path write(String appdbExtra, String modelsExtra) throws IOException {
    Files.createDirectories(dir.resolve("models"));
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(
        file, HEAD.formatted(appdbExtra.stripTrailing(), modelsExtra.stripTrailing()));
    return file;
  }
}
