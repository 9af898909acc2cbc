package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.restore.FreshClusters;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import io.temporal.client.WorkflowFailedException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key rotation through the real pipeline: a backup sealed under today's single-key config, the
 * config rotated to two keys by id with the new one current, a second backup; both restore (pg_dump
 * into a fresh cluster, a directory byte for byte) on S3Mock and Temporal's test server. With the
 * old key removed, the old backup is refused in one line naming it and the key id, and nothing is
 * written.
 */
class KeyRotationIT {
  private static final AtomicLong CLOCK = new AtomicLong(1_900_000_000_000L);

  @TempDir Path dir;

  private PipelineHarness harness;

  @AfterEach
  void close() {
    if (harness != null) {
      harness.close();
    }
  }

  @Test
  void aBackupBeforeAndOneAfterARotationBothRestoreAndARemovedKeyIsNamed() throws Exception {
    harness = new PipelineHarness(dir);
    Path weights = dir.resolve("models/checkpoint-1/weights.bin");
    byte[] before = Files.readAllBytes(weights);
    PlanResult first = harness.run(harness.load(harness.config()), List.of());
    assertThat(first.complete()).isTrue();
    // The single-key config records the key's fingerprint.
    String oldKeyId = record(first, "models").keyId();
    assertThat(oldKeyId).matches("k-[0-9a-f]{12}");

    byte[] after = "weights after the rotation".getBytes(StandardCharsets.UTF_8);
    Files.write(weights, after);
    harness.postgres.execute(
        harness.sourceDb, "INSERT INTO conversations VALUES (900001, now(), 'after rotation')");
    Thread.sleep(1100); // backup ids have a resolution of one second
    String rotated = rotated(harness.config(), true);
    PlanResult second = harness.run(harness.load(rotated), List.of());
    assertThat(second.complete()).isTrue();

    // Everything written after the rotation names the new key; the older backup keeps its own.
    for (SourceBackupResult result : second.results()) {
      assertThat(record(second, result.source().name()).keyId()).isEqualTo("k2");
      assertThat(metadata(result.manifestKey())).containsEntry("vigil-key-id", "k2");
      assertThat(sealedHeaderKeyId(result.objectKey())).isEqualTo("k2");
    }
    assertThat(metadata(second.manifestKey())).containsEntry("vigil-key-id", "k2");
    assertThat(metadata(first.manifestKey())).containsEntry("vigil-key-id", oldKeyId);
    assertThat(sealedHeaderKeyId(backupOf(first, "models").objectKey())).isEqualTo(oldKeyId);

    // Both restore with the rotated config: the old one with k1, found by its fingerprint.
    harness.startWorker(harness.load(rotated));
    Path oldTarget = dir.resolve("restored-old");
    Path newTarget = dir.resolve("restored-new");
    assertThat(restoreModels(first, oldTarget).status()).isEqualTo("RESTORED");
    assertThat(restoreModels(second, newTarget).status()).isEqualTo("RESTORED");
    assertThat(oldTarget.resolve("checkpoint-1/weights.bin")).hasBinaryContent(before);
    assertThat(newTarget.resolve("checkpoint-1/weights.bin")).hasBinaryContent(after);
    assertDatabaseRestores(first, 5000);
    assertDatabaseRestores(second, 5001);

    // The old key removed: the old backup is refused by name and key id, nothing is written.
    harness.startWorker(harness.load(rotated(harness.config(), false)));
    Path never = dir.resolve("never");
    String oldId = backupOf(first, "models").backupId();
    assertThatThrownBy(() -> restoreModels(first, never))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            failure -> {
              assertThat(Failures.type(failure)).isEqualTo("ENCRYPTION_KEY_INVALID");
              assertThat(Failures.reason(failure))
                  .endsWith(
                      " failed at download: backup '"
                          + oldId
                          + "' was sealed with key '"
                          + oldKeyId
                          + "', which is not configured (configured keys: k2); add it under"
                          + " encryption.keys to read it");
            });
    assertThat(never).doesNotExist();
    assertThat(restoreModels(second, dir.resolve("restored-again")).status()).isEqualTo("RESTORED");
  }

  /** The harness's config rotated to k2 (current), keeping the first key as k1 if asked. */
  private static String rotated(String yaml, boolean keepOld) {
    String keys =
        "  current: k2\n  keys:\n"
            + (keepOld ? "    k1:\n      key-env: " + PipelineHarness.KEY_ENV + "\n" : "")
            + "    k2:\n      key-env: "
            + PipelineHarness.SECOND_KEY_ENV
            + "\n";
    String single = "  key-env: " + PipelineHarness.KEY_ENV + "\n";
    assertThat(yaml).contains(single);
    return yaml.replace(single, keys);
  }

  private RestoreResult restoreModels(PlanResult plan, Path target) {
    return restore(
        new RestoreSelector(null, backupOf(plan, "models").backupId(), 0),
        RestoreTarget.directory(target.toString()));
  }

  private void assertDatabaseRestores(PlanResult plan, long rows) {
    RestoreResult result =
        restore(
            new RestoreSelector(null, backupOf(plan, "appdb").backupId(), 0),
            new RestoreTarget("fresh-cluster", null, 0, null, null, null, null));
    try {
      assertThat(result.status()).isEqualTo("RESTORED");
      assertThat(result.validation().checks())
          .contains("public.conversations: " + rows + " rows as recorded");
    } finally {
      FreshClusters.shared().stop(lastRestoreId);
    }
  }

  private String lastRestoreId;

  private RestoreResult restore(RestoreSelector selector, RestoreTarget target) {
    RestoreClient client =
        new RestoreClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    lastRestoreId =
        client.start(
            new RestoreRequest(selector, target, false, 2, "key-rotation-it"),
            CLOCK.addAndGet(1000));
    return client.await(lastRestoreId);
  }

  private BackupRecord record(PlanResult plan, String source) {
    String id = backupOf(plan, source).backupId();
    return harness.catalog().stream()
        .filter(row -> row.backupId().equals(id))
        .findFirst()
        .orElseThrow();
  }

  private static SourceBackupResult backupOf(PlanResult plan, String source) {
    return plan.results().stream()
        .filter(result -> result.source().name().equals(source))
        .findFirst()
        .orElseThrow();
  }

  private Map<String, String> metadata(String key) {
    return harness.s3.client().headObject(b -> b.bucket(harness.bucket).key(key)).metadata();
  }

  /** The key id in a stored object's sealed header: after "VGL1", version and compression. */
  private String sealedHeaderKeyId(String key) throws IOException {
    try (InputStream in =
        harness.s3.client().getObject(b -> b.bucket(harness.bucket).key(key).range("bytes=0-99"))) {
      byte[] header = in.readAllBytes();
      return new String(header, 7, header[6], StandardCharsets.US_ASCII);
    }
  }
}
