package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.check.RepositoryChecks;
import dev.vigil.activities.copy.CopyActivitiesImpl;
import dev.vigil.activities.copy.CopyCatalog;
import dev.vigil.activities.copy.CopyCatalog.StoredCopy;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.starter.BackupClient;
import dev.vigil.starter.RestoreClient;
import dev.vigil.starter.RetentionClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.copy.CopiedItem;
import dev.vigil.workflows.copy.CopyActivities;
import dev.vigil.workflows.copy.CopyReport;
import dev.vigil.workflows.copy.CopyTask;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.retention.RetentionResult;
import io.temporal.client.WorkflowFailedException;
import io.temporal.testing.TestActivityEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Copies to a second repository with every real part: backups of a models directory taken by the
 * real pipeline into one S3Mock bucket ({@code main}), copied by the plan workflow on Temporal's
 * test server into a second bucket ({@code offsite}), read back, restored from either, and pruned
 * in each on its own.
 */
class CopiesIT {
  private static final AtomicLong CLOCK = new AtomicLong(1_900_000_000_000L);

  @TempDir Path dir;

  private PipelineHarness harness;
  private String offsite;

  @BeforeEach
  void setUp() throws IOException {
    harness = new PipelineHarness(dir);
    offsite = harness.s3.newBucket("offsite");
  }

  @AfterEach
  void tearDown() {
    harness.close();
  }

  @Test
  void archivedBackupAndItsSetManifestAreCopiedByteForByteAndVerified() throws IOException {
    PlanResult run = backUp(config(true, null));

    assertThat(run.complete()).isTrue();
    BackupRecord backup = only(harness.catalog());
    assertThat(run.copies())
        .extracting(
            CopyReport::itemKind, CopyReport::itemId, CopyReport::repository, r -> r.status())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("backup", backup.backupId(), "offsite", "VERIFIED"),
            org.assertj.core.groups.Tuple.tuple("set", run.setId(), "offsite", "VERIFIED"));
    StoredCopy copy = copy(backup.backupId());
    assertThat(copy.state()).isEqualTo("VERIFIED");
    assertThat(copy.bucket()).isEqualTo(offsite);
    assertThat(copy.sizeBytes()).isEqualTo(backup.storedBytes());
    assertThat(copy.sha256()).isEqualTo(backup.sha256());
    // Same keys, same bytes, same manifest (and its HMAC metadata) in the second bucket.
    assertThat(object(offsite, backup.objectKey()))
        .isEqualTo(object(harness.bucket, backup.objectKey()));
    assertThat(object(offsite, backup.manifestKey()))
        .isEqualTo(object(harness.bucket, backup.manifestKey()));
    assertThat(metadata(offsite, backup.manifestKey()))
        .containsKey("vigil-hmac-sha256")
        .isEqualTo(metadata(harness.bucket, backup.manifestKey()));
    String setKey = "sets/" + run.setId() + ".json";
    assertThat(object(offsite, setKey)).isEqualTo(object(harness.bucket, setKey));
    assertThat(catalog().copiesOf(CopyTask.SET, run.setId()))
        .singleElement()
        .extracting(StoredCopy::state)
        .isEqualTo("VERIFIED");
    // vigil check (and the worker's gauges) count the copies as claimed, not as orphans.
    RepositoryChecks.Report check = new RepositoryChecks(harness.services()).objects(List.of());
    assertThat(check.problemCounts()).isEmpty();
    assertThat(check.ok()).isTrue();
  }

  @Test
  void copyWhoseBytesRotIsNotVerifiedAndTheNextRunCopiesItAgain() throws Exception {
    backUp(config(true, null));
    BackupRecord backup = only(harness.catalog());
    StoredCopy written = copy(backup.backupId());
    harness.s3.flipBitOnDisk(offsite, backup.objectKey(), backup.storedBytes() / 2);
    CopiedItem copied =
        new CopiedItem(
            new CopyTask(
                CopyTask.BACKUP,
                backup.backupId(),
                "models",
                "main",
                "offsite",
                backup.objectKey(),
                backup.manifestKey(),
                backup.storedBytes(),
                backup.sha256()),
            written.sizeBytes(),
            written.sha256(),
            object(offsite, backup.manifestKey()).length,
            dev.vigil.activities.common.Digests.sha256Hex(
                new java.io.ByteArrayInputStream(object(offsite, backup.manifestKey()))));

    TestActivityEnvironment activities = TestActivityEnvironment.newInstance();
    try {
      activities.registerActivitiesImplementations(new CopyActivitiesImpl(harness.services()));
      CopyActivities stub = activities.newActivityStub(CopyActivities.class);

      assertThatThrownBy(() -> stub.verifyCopy(copied))
          .satisfies(
              failure -> {
                assertThat(Failures.type(failure)).isEqualTo("OBJECT_CORRUPT");
                assertThat(Failures.reason(failure))
                    .contains(
                        "the copy of backup '"
                            + backup.backupId()
                            + "' in repository 'offsite' is corrupt: object '"
                            + backup.objectKey()
                            + "' reads back as "
                            + backup.storedBytes()
                            + " bytes with SHA-256 ")
                    .contains(
                        "expected "
                            + backup.storedBytes()
                            + " bytes with SHA-256 "
                            + backup.sha256());
              });
      assertThat(copy(backup.backupId()).state()).isEqualTo("FAILED");
      // Not restorable from there, and the primary is as it was.
      assertThat(harness.services().catalog().find(backup.backupId()).orElseThrow().status())
          .isEqualTo("ARCHIVED");
      assertThat(stub.pendingCopies(List.of("models")))
          .extracting(CopyTask::itemId)
          .contains(backup.backupId());
    } finally {
      activities.close();
    }

    PlanResult next = backUp(config(true, null));

    assertThat(next.copies())
        .filteredOn(report -> report.itemId().equals(backup.backupId()))
        .singleElement()
        .extracting(CopyReport::status)
        .isEqualTo("VERIFIED");
    assertThat(object(offsite, backup.objectKey()))
        .isEqualTo(object(harness.bucket, backup.objectKey()));
  }

  @Test
  void failedCopyLeavesThePrimaryArchivedAndALaterRunCopiesWhatIsMissing() throws IOException {
    String missing = "copies-missing-" + CLOCK.incrementAndGet();

    PlanResult first =
        backUp(config(true, null).replace("bucket: " + offsite, "bucket: " + missing));

    assertThat(first.complete()).isTrue();
    String firstId = first.results().get(0).backupId();
    assertThat(harness.services().catalog().find(firstId).orElseThrow().status())
        .isEqualTo("ARCHIVED");
    assertThat(first.copies())
        .allSatisfy(report -> assertThat(report.status()).isEqualTo("FAILED"));
    assertThat(first.copies())
        .filteredOn(report -> report.itemKind().equals("backup"))
        .singleElement()
        .satisfies(
            report -> {
              assertThat(report.status()).isEqualTo("FAILED");
              assertThat(report.itemId()).isEqualTo(firstId);
              assertThat(report.failure()).contains(missing).doesNotContain("Exception");
            });
    assertThat(catalog().copiesOf(CopyTask.BACKUP, firstId)).isEmpty();

    PlanResult second = backUp(config(true, null));

    String secondId = second.results().get(0).backupId();
    assertThat(second.copies())
        .filteredOn(report -> report.itemKind().equals("backup"))
        .extracting(CopyReport::itemId, CopyReport::status)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(firstId, "VERIFIED"),
            org.assertj.core.groups.Tuple.tuple(secondId, "VERIFIED"));
    assertThat(second.copies())
        .filteredOn(report -> report.itemKind().equals("set"))
        .extracting(CopyReport::itemId)
        .containsExactlyInAnyOrder(first.setId(), second.setId());
  }

  @Test
  void copyIntoAFilesystemRepositoryIsVerifiedAndRestores() throws IOException {
    Path disk = Files.createDirectories(dir.resolve("offsite-disk"));
    String yaml =
        config(true, null)
            .replace(
                """
                  offsite:
                    endpoint: %s
                    bucket: %s
                    path-style-access: true
                    access-key-id-env: AWS_TEST_ID
                    secret-access-key-env: AWS_TEST_SECRET
                """
                    .formatted(harness.s3.endpoint(), offsite),
                "  offsite:\n    type: filesystem\n    path: " + disk + "\n");

    PlanResult run = backUp(yaml);

    BackupRecord backup = only(harness.catalog());
    assertThat(run.copies()).extracting(CopyReport::status).containsOnly("VERIFIED").hasSize(2);
    assertThat(copy(backup.backupId()).sha256()).isEqualTo(backup.sha256());
    harness.s3.flipBitOnDisk(harness.bucket, backup.objectKey(), 100);
    Path target = dir.resolve("from-disk");

    RestoreResult result =
        restore(
            new RestoreSelector("models", null, 0, null, "offsite"),
            RestoreTarget.directory(target.toString()));

    assertThat(result.status()).isEqualTo("RESTORED");
    assertThat(result.repository()).isEqualTo("offsite");
    assertSameModels(target);
  }

  @Test
  void restoreReadsTheNamedRepository() throws IOException {
    backUp(config(true, null));
    BackupRecord backup = only(harness.catalog());
    // The primary's object rots: a restore that read it would fail its SHA-256 check.
    harness.s3.flipBitOnDisk(harness.bucket, backup.objectKey(), 100);
    Path target = dir.resolve("from-offsite");

    RestoreResult result =
        restore(
            new RestoreSelector("models", null, 0, null, "offsite"),
            RestoreTarget.directory(target.toString()));

    assertThat(result.status()).isEqualTo("RESTORED");
    assertThat(result.backupId()).isEqualTo(backup.backupId());
    assertThat(result.repository()).isEqualTo("offsite");
    assertThat(result.readNote()).isNull();
    assertSameModels(target);
    assertThatThrownBy(
            () ->
                restore(
                    new RestoreSelector("models", null, 0, null, "main"),
                    RestoreTarget.directory(dir.resolve("from-main").toString())))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(failure -> assertThat(Failures.type(failure)).isEqualTo("OBJECT_CORRUPT"));
    assertThatThrownBy(
            () ->
                restore(
                    new RestoreSelector("models", null, 0, null, "elsewhere"),
                    RestoreTarget.directory(dir.resolve("from-elsewhere").toString())))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            failure -> {
              assertThat(Failures.type(failure)).isEqualTo("INVALID_CONFIG");
              assertThat(Failures.reason(failure))
                  .contains("no repository 'elsewhere' in ")
                  .contains("known: [main, offsite]");
            });
  }

  @Test
  void restoreFallsBackToTheVerifiedCopyWhenThePrimaryIsUnreachable() throws IOException {
    backUp(config(true, null));
    BackupRecord backup = only(harness.catalog());
    String dead = "http://127.0.0.1:" + FreePorts.find();
    harness.startWorker(
        harness.load(
            config(true, null)
                .replaceFirst("endpoint: " + harness.s3.endpoint(), "endpoint: " + dead)));
    Path target = dir.resolve("fallback");

    RestoreResult result =
        restore(RestoreSelector.latest("models"), RestoreTarget.directory(target.toString()));

    assertThat(result.status()).isEqualTo("RESTORED");
    assertThat(result.backupId()).isEqualTo(backup.backupId());
    assertThat(result.repository()).isEqualTo("offsite");
    assertThat(result.readNote())
        .startsWith("primary repository 'main' cannot be read (")
        .endsWith("); reading the verified copy in repository 'offsite'");
    assertSameModels(target);
  }

  @Test
  void restoreFallsBackWhenThePrimaryAcceptsConnectionsAndNeverAnswers() throws IOException {
    backUp(config(true, null));
    try (java.net.ServerSocket silent =
        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      // Connections complete in the kernel's backlog; nothing ever reads or answers them.
      String hung = "http://127.0.0.1:" + silent.getLocalPort();
      harness.startWorker(
          harness.load(
              config(true, null)
                  .replaceFirst("endpoint: " + harness.s3.endpoint(), "endpoint: " + hung)));
      Path target = dir.resolve("fallback-hung");
      long started = System.nanoTime();

      RestoreResult result =
          restore(RestoreSelector.latest("models"), RestoreTarget.directory(target.toString()));

      assertThat(result.status()).isEqualTo("RESTORED");
      assertThat(result.repository()).isEqualTo("offsite");
      assertThat(result.readNote())
          .isEqualTo(
              "primary repository 'main' cannot be read (repository 'main' did not answer a HEAD"
                  + " of '"
                  + only(harness.catalog()).objectKey()
                  + "' within 20 s); reading the verified copy in repository 'offsite'");
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - started))
          .isLessThan(java.time.Duration.ofSeconds(90));
      assertSameModels(target);
    }
  }

  @Test
  void retentionInOneRepositoryLeavesTheOthersCopy() throws IOException {
    String keepLast = "    retention:\n      keep-last: 1\n";
    String first = backUp(config(true, keepLast)).results().get(0).backupId();
    // The second backup is not copied: offsite holds only the first.
    String second = backUp(config(false, keepLast)).results().get(0).backupId();
    harness.startWorker(harness.load(config(true, keepLast)));

    RetentionResult pruned = retain();

    assertThat(pruned.sources()).allSatisfy(source -> assertThat(source.failures()).isEmpty());
    BackupRecord firstRecord = harness.services().catalog().find(first).orElseThrow();
    assertThat(firstRecord.status()).isEqualTo("PRUNED");
    assertThat(exists(harness.bucket, firstRecord.objectKey())).isFalse();
    // Offsite's newest verified copy is the first backup: it stays, and it restores.
    assertThat(copy(first).state()).isEqualTo("VERIFIED");
    assertThat(exists(offsite, firstRecord.objectKey())).isTrue();
    Path target = dir.resolve("pruned-in-main");
    RestoreResult restored =
        restore(
            new RestoreSelector(null, first, 0, null, "offsite"),
            RestoreTarget.directory(target.toString()));
    assertThat(restored.status()).isEqualTo("RESTORED");
    assertSameModels(target);

    String third = backUp(config(true, keepLast)).results().get(0).backupId();
    assertThat(copy(second).state()).isEqualTo("VERIFIED");
    assertThat(copy(third).state()).isEqualTo("VERIFIED");
    harness.startWorker(harness.load(config(true, keepLast)));

    RetentionResult again = retain();

    assertThat(again.sources()).allSatisfy(source -> assertThat(source.failures()).isEmpty());
    assertThat(again.sources().get(0).applied())
        .anySatisfy(line -> assertThat(line).startsWith("prune copy of " + first + " in offsite"))
        .anySatisfy(line -> assertThat(line).startsWith("prune copy of " + second + " in offsite"));
    assertThat(copy(first).state()).isEqualTo("PRUNED");
    assertThat(copy(second).state()).isEqualTo("PRUNED");
    assertThat(copy(third).state()).isEqualTo("VERIFIED");
    assertThat(exists(offsite, firstRecord.objectKey())).isFalse();
    BackupRecord thirdRecord = harness.services().catalog().find(third).orElseThrow();
    assertThat(exists(offsite, thirdRecord.objectKey())).isTrue();
    assertThat(exists(harness.bucket, thirdRecord.objectKey())).isTrue();
    assertThat(harness.services().catalog().find(second).orElseThrow().status())
        .isEqualTo("PRUNED");
  }

  /** The harness's config with a second repository, {@code offsite}; models copied to it or not. */
  private String config(boolean copies, String retention) {
    String yaml =
        harness
            .config()
            .replace(
                "encryption:",
                """
                  offsite:
                    endpoint: %s
                    bucket: %s
                    path-style-access: true
                    access-key-id-env: AWS_TEST_ID
                    secret-access-key-env: AWS_TEST_SECRET
                encryption:"""
                    .formatted(harness.s3.endpoint(), offsite))
            .replace("    type: postgres\n", "    type: postgres\n    repository: main\n")
            .replace("    kind: model\n", "    kind: model\n    repository: main\n");
    if (copies) {
      yaml = yaml.replace("    kind: model\n", "    kind: model\n    copies: [offsite]\n");
    }
    if (retention != null) {
      yaml = yaml.replace("    kind: model\n", "    kind: model\n" + retention);
    }
    return yaml;
  }

  /** One plan run of the models directory under {@code yaml}, on a fresh worker. */
  private PlanResult backUp(String yaml) throws IOException {
    BackupClient client = harness.startWorker(harness.load(yaml));
    return client.await(client.start("copies", List.of("models"), CLOCK.addAndGet(60_000), "test"));
  }

  private RetentionResult retain() {
    RetentionClient retention = new RetentionClient(harness.workflowClient(), "vigil");
    return retention.await(retention.start(false, List.of(), CLOCK.addAndGet(60_000), "test"));
  }

  private RestoreResult restore(RestoreSelector selector, RestoreTarget target) {
    RestoreClient client = new RestoreClient(harness.workflowClient(), "vigil");
    String id =
        client.start(
            new RestoreRequest(selector, target, false, 0, "copies-it"), CLOCK.addAndGet(1000));
    try {
      // Bounded: a restore stuck retrying an unreachable repository would otherwise wait a day.
      return harness
          .workflowClient()
          .newUntypedWorkflowStub(id)
          .getResult(3, java.util.concurrent.TimeUnit.MINUTES, RestoreResult.class);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("restore " + id + " did not end within 3 minutes", e);
    }
  }

  private CopyCatalog catalog() {
    return new CopyCatalog(harness.services().catalogDataSource());
  }

  private StoredCopy copy(String backupId) {
    return catalog().copiesOf(CopyTask.BACKUP, backupId).stream()
        .filter(copy -> copy.repository().equals("offsite"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no copy of " + backupId + " in offsite"));
  }

  private void assertSameModels(Path target) throws IOException {
    Path weights = Path.of("checkpoint-1", "weights.bin");
    assertThat(Files.readAllBytes(target.resolve(weights)))
        .isEqualTo(Files.readAllBytes(dir.resolve("models").resolve(weights)));
  }

  private static BackupRecord only(List<BackupRecord> records) {
    assertThat(records).hasSize(1);
    return records.get(0);
  }

  private byte[] object(String bucket, String key) throws IOException {
    try (InputStream in = harness.s3.client().getObject(b -> b.bucket(bucket).key(key))) {
      return in.readAllBytes();
    }
  }

  private java.util.Map<String, String> metadata(String bucket, String key) {
    return harness.s3.client().headObject(b -> b.bucket(bucket).key(key)).metadata();
  }

  private boolean exists(String bucket, String key) {
    try {
      harness.s3.client().headObject(b -> b.bucket(bucket).key(key));
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw e;
    }
  }
}
