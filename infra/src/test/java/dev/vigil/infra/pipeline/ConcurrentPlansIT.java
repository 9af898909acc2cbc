package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.restore.RestoreCatalog;
import dev.vigil.starter.BackupClient;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Twenty plan runs started in the same second over the same sources, with the real worker and
 * catalog: each source is backed up once, and each backup belongs to the one set that ran it.
 */
class ConcurrentPlansIT {
  private static final int PLANS = 20;

  @TempDir Path dir;

  private PipelineHarness harness;

  @AfterEach
  void tearDown() {
    harness.close();
  }

  @Test
  void twentyPlansStartedInTheSameSecondNeverTakeEachOthersBackups() throws Exception {
    harness = new PipelineHarness(dir);
    // models is slower than docs, so the run that backs models up reaches docs (a duplicate by
    // then) and records its set after docs' own set was recorded COMPLETE.
    byte[] weights = new byte[6 << 20];
    new Random(5).nextBytes(weights);
    Files.write(dir.resolve("models/checkpoint-1/more-weights.bin"), weights);
    Path docs = Files.createDirectories(dir.resolve("docs"));
    Files.writeString(docs.resolve("runbook.md"), "# Runbook\nrestore with --set\n");
    String yaml =
        harness
                .config()
                .replace(
                    "  host-id: test-host\n", "  host-id: test-host\n  max-parallel-sources: 1\n")
            + "  docs:\n    type: directory\n    kind: config\n    path: "
            + docs
            + "\n";
    BackupClient client = harness.startWorker(harness.load(yaml));
    long sameSecond = (System.currentTimeMillis() / 1000 + 1) * 1000 + 100;
    Map<String, List<String>> plans = new LinkedHashMap<>();
    for (int i = 1; i <= PLANS; i++) {
      // Half the plans take docs only; the other half models, then docs.
      plans.put("plan-%02d".formatted(i), i % 2 == 0 ? List.of("docs") : List.of("models", "docs"));
    }

    List<String> workflowIds = new ArrayList<>();
    plans.forEach(
        (plan, sources) -> workflowIds.add(client.start(plan, sources, sameSecond, "it")));
    Map<String, PlanResult> results = new HashMap<>();
    for (String workflowId : workflowIds) {
      PlanResult result = client.await(workflowId);
      results.put(result.setId(), result);
    }

    Map<String, String> linkedTo = backupSetIds();
    assertThat(linkedTo).as("each source backed up once").hasSize(2);
    Map<String, String> ranBy = new HashMap<>();
    String setHoldingDocs = null;
    for (PlanResult result : results.values()) {
      Set<String> archived = new TreeSet<>();
      for (SourceBackupResult source : result.results()) {
        if (source.archived()) {
          archived.add(source.backupId());
          assertThat(ranBy.put(source.backupId(), result.setId()))
              .as("backup " + source.backupId() + " archived by one run only")
              .isNull();
        } else {
          assertThat(source.failureType()).isEqualTo("DUPLICATE_RUN");
          assertThat(source.failure()).contains("not part of this set");
        }
      }
      Set<String> linked = new TreeSet<>();
      linkedTo.forEach(
          (backupId, setId) -> {
            if (result.setId().equals(setId)) {
              linked.add(backupId);
            }
          });
      assertThat(linked).as("backups linked to set " + result.setId()).isEqualTo(archived);
      assertThat(setStatus(result.setId())).isEqualTo(result.status());
      if (result.status().equals("COMPLETE")) {
        assertThat(linked).hasSize(result.results().size());
      } else {
        assertThat(linked).hasSizeLessThan(result.results().size());
      }
      if (archived.stream().anyMatch(id -> id.startsWith("docs-"))) {
        setHoldingDocs = result.setId();
      }
    }
    assertThat(ranBy.keySet()).isEqualTo(linkedTo.keySet());

    // restore --set of the set that holds docs: the catalog hands out exactly its backup.
    List<SelectedBackup> members =
        new RestoreCatalog(harness.services().catalogDataSource()).backupsOfSet(setHoldingDocs);
    SelectedBackup docsBackup =
        members.stream().filter(m -> m.source().name().equals("docs")).findFirst().orElseThrow();
    Path target = dir.resolve("restored-docs");
    RestoreClient restores =
        new RestoreClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    RestoreResult restored =
        restores.await(
            restores.start(
                new RestoreRequest(
                    new RestoreSelector("docs", docsBackup.backupId(), 0),
                    RestoreTarget.directory(target.toString()),
                    false,
                    0,
                    "it"),
                System.currentTimeMillis()));
    assertThat(restored.status()).isEqualTo("RESTORED");
    assertThat(target.resolve("runbook.md")).hasSameTextualContentAs(docs.resolve("runbook.md"));
  }

  /** backup id → set id, as the catalog links them. */
  private Map<String, String> backupSetIds() throws Exception {
    Map<String, String> links = new HashMap<>();
    try (Connection connection = harness.postgres.connect(harness.catalogDb);
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT backup_id, set_id FROM vigil.backup")) {
      while (rows.next()) {
        links.put(rows.getString(1), rows.getString(2));
      }
    }
    return links;
  }

  private String setStatus(String setId) throws Exception {
    try (Connection connection = harness.postgres.connect(harness.catalogDb);
        var query =
            connection.prepareStatement("SELECT status FROM vigil.backup_set WHERE set_id = ?")) {
      query.setString(1, setId);
      try (ResultSet row = query.executeQuery()) {
        return row.next() ? row.getString(1) : null;
      }
    }
  }
}
