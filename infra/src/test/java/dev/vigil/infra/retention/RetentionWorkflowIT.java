package dev.vigil.infra.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.starter.BackupClient;
import dev.vigil.starter.RetentionClient;
import dev.vigil.worker.VigilWorker;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.retention.LocalArtifactDecision;
import dev.vigil.workflows.retention.RehydrateRequest;
import dev.vigil.workflows.retention.RehydrateResult;
import dev.vigil.workflows.retention.RetentionAction;
import dev.vigil.workflows.retention.RetentionDecision;
import dev.vigil.workflows.retention.RetentionResult;
import dev.vigil.workflows.retention.SourceRetentionResult;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention end to end on real PostgreSQL, S3Mock and Temporal's test server: three real model
 * backups, a dry run that changes nothing, then archive to GLACIER, prune, local checkpoint
 * removal, and a rehydration of the cold copy.
 */
class RetentionWorkflowIT {
  private static final String POLICY =
      """
      retention:
        keep-last: 1
        archive-after: 30d
        delete-archived-after: 50d
        checkpoints: {checkpoint: 7d}
      """;

  @TempDir Path dir;
  private RetentionHarness harness;
  private TestWorkflowEnvironment environment;
  private VigilWorker worker;

  @BeforeEach
  void start() throws Exception {
    harness = new RetentionHarness(dir);
  }

  @AfterEach
  void stop() {
    if (worker != null) {
      worker.close();
    }
    if (environment != null) {
      environment.close();
    }
    harness.close();
  }

  @Test
  void pruneArchivesOldBackupsToGlacierPrunesExpiredOnesAndRemovesConfirmedCheckpoints()
      throws Exception {
    harness.weights("run-1/checkpoint-100/weights.bin", 300_000, 1);
    harness.weights("run-1/checkpoint-200/weights.bin", 300_000, 2);
    harness.weights("production/weights.bin", 200_000, 3);
    VigilConfig config = harness.load(harness.config(POLICY, ""));
    VigilServices services = harness.services(config);
    environment =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    worker = VigilWorker.start(environment.getWorkflowClient(), services);
    BackupClient backups = new BackupClient(environment.getWorkflowClient(), "vigil");
    long t0 = System.currentTimeMillis();
    String oldest = backup(backups, t0 - 2000);
    String older = backup(backups, t0 - 1000);
    String newest = backup(backups, t0);
    harness.postgres.execute(
        harness.catalogDb,
        "UPDATE vigil.backup SET consistent_at = now() - interval '60 days' WHERE backup_id = '"
            + oldest
            + "'",
        "UPDATE vigil.backup SET consistent_at = now() - interval '40 days' WHERE backup_id = '"
            + older
            + "'");
    Path oldCheckpoint = harness.models.resolve("run-1/checkpoint-100");
    FileTime tenDaysAgo = FileTime.from(Instant.now().minus(Duration.ofDays(10)));
    Files.setLastModifiedTime(oldCheckpoint.resolve("weights.bin"), tenDaysAgo);
    Files.setLastModifiedTime(oldCheckpoint, tenDaysAgo);
    List<String> keysBefore = harness.keys();
    RetentionClient retention = new RetentionClient(environment.getWorkflowClient(), "vigil");

    RetentionResult dryRun =
        retention.await(retention.start(true, List.of(), System.currentTimeMillis(), "test"));

    SourceRetentionResult planned = only(dryRun);
    Map<String, RetentionDecision> decisions = byBackup(planned);
    assertThat(decisions.get(newest).action()).isEqualTo(RetentionAction.KEEP);
    assertThat(decisions.get(newest).rules()).containsExactly("keep-last");
    assertThat(decisions.get(older).action()).isEqualTo(RetentionAction.ARCHIVE);
    assertThat(decisions.get(older).storageClass()).isEqualTo("GLACIER");
    assertThat(decisions.get(oldest).action()).isEqualTo(RetentionAction.PRUNE);
    assertThat(decisions.get(oldest).rules()).containsExactly("delete-archived-after");
    assertThat(planned.plan().localArtifacts())
        .extracting(LocalArtifactDecision::path, LocalArtifactDecision::remove)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("production", false),
            org.assertj.core.groups.Tuple.tuple("run-1/checkpoint-100", true),
            org.assertj.core.groups.Tuple.tuple("run-1/checkpoint-200", false));
    assertThat(planned.plan().localArtifacts().get(1).backupId()).isEqualTo(newest);
    // A dry run changes nothing: objects, catalog, decision log and local files as they were.
    assertThat(harness.keys()).containsExactlyInAnyOrderElementsOf(keysBefore);
    assertThat(harness.catalogText(oldest, "status")).isEqualTo("ARCHIVED");
    assertThat(
            harness.queryText(
                harness.catalogDb, "SELECT count(*) FROM vigil.retention_decision", null))
        .isEqualTo("0");
    assertThat(oldCheckpoint).isDirectory();
    assertThat(manifestEntries(oldest)).isEqualTo(manifestEntries(newest)).isNotEqualTo("0");

    RetentionResult run =
        retention.await(
            retention.start(false, List.of(), System.currentTimeMillis() + 1000, "test"));

    SourceRetentionResult applied = only(run);
    assertThat(applied.failures()).isEmpty();
    // Archived: the cold copy is GLACIER in S3Mock, the catalog points at it, the hot copy is gone.
    String hotKey =
        harness.queryText(
            harness.catalogDb,
            "SELECT hot_object_key FROM vigil.backup WHERE backup_id = ?",
            older);
    String coldKey = harness.catalogText(older, "object_key");
    assertThat(coldKey).isEqualTo(hotKey.replace("/data.vgl", "/cold/data.vgl"));
    assertThat(harness.head(coldKey).storageClassAsString()).isEqualTo("GLACIER");
    assertThat(harness.head(hotKey)).isNull();
    assertThat(harness.catalogText(older, "storage_class")).isEqualTo("GLACIER");
    assertThat(harness.catalogText(older, "archived_cold_at")).isNotNull();
    assertThat(
            harness.queryText(
                harness.catalogDb,
                "SELECT storage_class FROM vigil.backup_object WHERE backup_id = ? AND role = 'data'",
                older))
        .isEqualTo("GLACIER");
    // Pruned: objects gone, row PRUNED, the files it held no longer listed.
    assertThat(harness.catalogText(oldest, "status")).isEqualTo("PRUNED");
    assertThat(harness.keys()).noneMatch(key -> key.contains("/" + oldest + "/"));
    assertThat(manifestEntries(oldest)).isEqualTo("0");
    // The newest backup is untouched.
    assertThat(harness.catalogText(newest, "status")).isEqualTo("ARCHIVED");
    assertThat(manifestEntries(newest)).isNotEqualTo("0");
    // S3 leaves the storage class header out for STANDARD.
    assertThat(harness.head(harness.catalogText(newest, "object_key")).storageClassAsString())
        .isNull();
    // Only the expired, confirmed checkpoint left the disk.
    assertThat(oldCheckpoint).doesNotExist();
    assertThat(harness.models.resolve("run-1/checkpoint-200/weights.bin")).isRegularFile();
    assertThat(harness.models.resolve("production/weights.bin")).isRegularFile();
    // Every decision is logged with its rules and reason, and stamped once applied.
    assertThat(
            harness.queryText(
                harness.catalogDb,
                "SELECT action || ' ' || array_to_string(rules, ',') FROM vigil.retention_decision"
                    + " WHERE backup_id = ?",
                oldest))
        .isEqualTo("PRUNE delete-archived-after");
    assertThat(
            harness.queryText(
                harness.catalogDb,
                "SELECT count(*) FROM vigil.retention_decision WHERE applied_at IS NOT NULL",
                null))
        .isEqualTo("2");

    // A second run finds nothing left to do.
    RetentionResult again =
        retention.await(
            retention.start(false, List.of(), System.currentTimeMillis() + 2000, "test"));
    assertThat(only(again).applied()).isEmpty();
    assertThat(byBackup(only(again)).get(older).rules()).containsExactly("cold");

    // The cold copy comes back: checkpoint-100 as it was backed up.
    Path target = dir.resolve("rehydrated");
    RehydrateResult rehydrated =
        retention.awaitRehydrate(
            retention.rehydrate(
                new RehydrateRequest(
                    "models", older, target.toString(), 1, System.currentTimeMillis(), "test")));
    assertThat(rehydrated.backupId()).isEqualTo(older);
    assertThat(rehydrated.files()).isEqualTo(3);
    byte[] expected = new byte[300_000];
    new java.util.Random(1).nextBytes(expected);
    assertThat(target.resolve("run-1/checkpoint-100/weights.bin")).hasBinaryContent(expected);
  }

  private String backup(BackupClient backups, long at) {
    PlanResult result = backups.await(backups.start("t", List.of("models"), at, "test"));
    assertThat(result.results()).singleElement().satisfies(r -> assertThat(r.archived()).isTrue());
    return result.results().get(0).backupId();
  }

  private static SourceRetentionResult only(RetentionResult result) {
    assertThat(result.sources()).hasSize(1);
    return result.sources().get(0);
  }

  private static Map<String, RetentionDecision> byBackup(SourceRetentionResult result) {
    return result.plan().decisions().stream()
        .collect(Collectors.toMap(RetentionDecision::backupId, Function.identity()));
  }

  private String manifestEntries(String backupId) {
    return harness.queryText(
        harness.catalogDb, "SELECT count(*) FROM vigil.backup_entry WHERE backup_id = ?", backupId);
  }
}
