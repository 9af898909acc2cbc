package dev.vigil.infra.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.infra.cli.VigilMain;
import dev.vigil.infra.embedded.EmbeddedStack;
import dev.vigil.starter.BackupClient;
import dev.vigil.starter.DuplicateRunException;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, {@code ./vigil demo}, end to end on the embedded stack. */
class DemoIT {
  @TempDir Path dir;

  @Test
  void demoBacksUpEverySourceVerifiedAndExitsZero() throws Exception {
    Path report = dir.resolve("report.json");
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    try {
      System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
      exit =
          VigilMain.commandLine()
              .execute(
                  "demo",
                  "--work-dir",
                  dir.resolve("work").toString(),
                  "--report",
                  report.toString());
    } finally {
      System.setOut(original);
    }

    assertThat(exit).isZero();
    String table = stdout.toString(StandardCharsets.UTF_8);
    assertThat(table)
        .contains("COMPLETE")
        .contains("appdb")
        .contains("models")
        .contains("datasets")
        .contains("config");
    JsonNode json = Json.MAPPER.readTree(report.toFile());
    assertThat(json.get("status").asText()).isEqualTo("COMPLETE");
    assertThat(json.get("vigilPeakRssBytes").asLong()).isPositive();
    assertThat(json.get("sources")).hasSize(4);
    for (JsonNode source : json.get("sources")) {
      assertThat(source.get("status").asText()).isEqualTo("ARCHIVED");
      assertThat(source.get("verified").asBoolean()).isTrue();
      assertThat(source.get("sha256").asText()).matches("[0-9a-f]{64}");
      assertThat(source.get("storageClass").asText()).isEqualTo("STANDARD");
      assertThat(source.get("objectKey").asText())
          .startsWith("vigil/" + source.get("source").asText() + "/");
      assertThat(source.get("stepMillis").fieldNames())
          .toIterable()
          .contains("dump", "verify", "compress", "upload", "verify-upload", "mark-archived");
    }
    assertThat(dir.resolve("work")).as("the demo cleans up after itself").doesNotExist();
  }

  @Test
  void everyBackupIsInTheCatalogAndTheStoreAndADuplicateStartIsRefused() {
    try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("stack"), System.err)) {
      BackupClient backups = stack.backups();
      long requestedAt = System.currentTimeMillis();
      PlanResult result = backups.await(backups.start("nightly", List.of(), requestedAt, "test"));

      assertThat(result.complete()).isTrue();
      ObjectStore store = stack.services().store("demo");
      for (SourceBackupResult backup : result.results()) {
        BackupRecord record = stack.services().catalog().find(backup.backupId()).orElseThrow();
        assertThat(record.status()).isEqualTo("ARCHIVED");
        assertThat(record.consistentAt()).isNotNull();
        StoredObject data = store.head(backup.objectKey()).orElseThrow();
        assertThat(data.size()).isEqualTo(record.storedBytes());
        assertThat(data.storageClass()).isEqualTo("STANDARD");
        assertThat(data.metadata()).containsEntry("vigil-sha256", record.sha256());
        assertThat(store.tags(backup.objectKey()))
            .containsEntry("vigil-source", backup.source().name())
            .containsEntry("vigil-kind", backup.source().kind())
            .containsEntry("vigil-backup-id", backup.backupId());
        assertThat(store.head(backup.manifestKey())).isPresent();
      }
      assertThat(
              stack
                  .services()
                  .catalog()
                  .find("appdb-" + result.setId().substring("nightly-".length())))
          .hasValueSatisfying(record -> assertThat(record.serverVersion()).startsWith("15"));
      assertThatThrownBy(() -> backups.start("nightly", List.of(), requestedAt, "test"))
          .isInstanceOf(DuplicateRunException.class)
          .hasMessageContaining("backup-set-nightly-");
    }
  }
}
