package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.restore.RestoreCatalog;
import dev.vigil.activities.restore.RestoreSpoolActivitiesImpl;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.restore.DownloadRequest;
import dev.vigil.workflows.restore.DownloadResult;
import dev.vigil.workflows.restore.RestoreDataRequest;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreSpoolActivities;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.UnsealRequest;
import dev.vigil.workflows.restore.VerifyRequest;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory backup of several AEAD segments restored as it is decrypted: the tar is extracted
 * straight from the sealed spool file (no plaintext copy), and a sealed file altered or cut after
 * its SHA-256 was verified fails the restore part-way with the target as it was.
 */
class StreamingRestoreIT {
  private static final int SEGMENT = 1 << 20;

  @TempDir static Path dir;

  private static PipelineHarness harness;

  private VigilServices services;
  private SelectedBackup selected;
  private String restoreId;
  private TestActivityEnvironment activities;

  @BeforeAll
  static void backUpOnce() throws Exception {
    harness = new PipelineHarness(dir);
    Path models = dir.resolve("models");
    byte[] shard = new byte[5 * SEGMENT + 4321];
    new Random(21).nextBytes(shard);
    Files.write(models.resolve("checkpoint-1/shard-2.bin"), shard);
    Files.createDirectories(models.resolve("notes"));
    StringBuilder notes = new StringBuilder();
    for (int line = 0; notes.length() < 3 * SEGMENT; line++) {
      notes.append("evaluation ").append(line).append(": loss ").append(line % 97).append('\n');
    }
    Files.writeString(models.resolve("notes/eval.txt"), notes);
    PlanResult backup = harness.run(harness.load(harness.config()), List.of("models"));
    assertThat(backup.complete()).isTrue();
    harness.close();
  }

  @AfterAll
  static void tearDownAll() {
    harness.close();
  }

  @Test
  void aMultiSegmentDirectoryBackupRestoresByteIdenticalWhileItIsDecrypted() throws Exception {
    harness.startWorker(harness.load(harness.config()));
    RestoreClient client =
        new RestoreClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    Path target = dir.resolve("restored-models");

    String restoreId =
        client.start(
            new RestoreRequest(
                RestoreSelector.latest("models"),
                RestoreTarget.directory(target.toString()),
                false,
                2,
                "streaming-it"),
            System.currentTimeMillis());
    RestoreResult result = client.await(restoreId);

    assertThat(result.status()).isEqualTo("RESTORED");
    assertThat(result.storedBytes()).isGreaterThan(4L * SEGMENT);
    assertThat(RestorePipelineIT.tree(target))
        .isEqualTo(RestorePipelineIT.tree(dir.resolve("models")));
    // The decrypt step kept the sealed file for the restore step and wrote no plaintext copy.
    assertThat(harness.history(restoreId)).contains("data.vgl").doesNotContain("archive.tar");
  }

  @Test
  void aSealedSpoolFileAlteredOrCutAfterVerificationFailsTheRestoreAndLeavesNoTarget()
      throws Exception {
    RestoreSpoolActivities stub = downloadedAndVerified();
    stub.unsealBackup(new UnsealRequest(restoreId, selected));
    Path spool = services.spool().dir(restoreId);
    Path sealedFile = spool.resolve("data.vgl");
    assertThat(sealedFile).exists();
    assertThat(spool.resolve("archive.tar")).doesNotExist();
    byte[] sealed = Files.readAllBytes(sealedFile);
    int header = 7 + (sealed[6] & 0xff);
    assertThat(sealed.length).isGreaterThan(header + 4 * SEGMENT);

    // Bit rot on the spool disk in the middle of the stream: segments before it were extracted.
    byte[] flipped = sealed.clone();
    flipped[header + 3 * SEGMENT + 100] ^= 0x04;
    Files.write(sealedFile, flipped);
    Path altered = dir.resolve("altered-target");
    assertRestoreFails(
        stub,
        altered,
        "backup '"
            + selected.backupId()
            + "' (spool file "
            + sealedFile
            + ") failed authentication at segment 3: altered, truncated, or sealed for another"
            + " backup or key; nothing was restored, "
            + altered
            + " is as it was");

    // Cut at a segment boundary: every segment left authenticates, only the end is missing.
    Files.write(sealedFile, Arrays.copyOf(sealed, header + 4 * SEGMENT));
    Path cut = dir.resolve("cut-target");
    assertRestoreFails(stub, cut, "failed authentication at segment 3 (its last)");

    // The step retried on the intact file restores from the start.
    Files.write(sealedFile, sealed);
    RestoreTarget restored =
        stub.restoreBackup(
            new RestoreDataRequest(
                restoreId, selected, RestoreTarget.directory(cut.toString()), false, 2));
    assertThat(restored.directory()).isEqualTo(cut.toString());
    assertThat(RestorePipelineIT.tree(cut))
        .isEqualTo(RestorePipelineIT.tree(dir.resolve("models")));
  }

  @Test
  void aRestoreWhoseDecryptStepRanOnAnOlderWorkerIsExtractedFromItsPlaintextFile()
      throws Exception {
    RestoreSpoolActivities stub = downloadedAndVerified();
    // What the decrypt step wrote before restores streamed: the tar, the sealed copy deleted.
    Path spool = services.spool().dir(restoreId);
    try (InputStream in = Files.newInputStream(spool.resolve("data.vgl"));
        OutputStream out = Files.newOutputStream(spool.resolve("archive.tar"))) {
      services
          .sealer()
          .unseal(in, out, SpoolActivitiesImpl.aeadContext(selected.backupId(), selected.source()));
    }
    Files.delete(spool.resolve("data.vgl"));
    Path target = dir.resolve("from-plaintext");

    stub.restoreBackup(
        new RestoreDataRequest(
            restoreId, selected, RestoreTarget.directory(target.toString()), false, 2));

    assertThat(RestorePipelineIT.tree(target))
        .isEqualTo(RestorePipelineIT.tree(dir.resolve("models")));
  }

  /** The restore activities on the real services, the latest backup downloaded and verified. */
  private RestoreSpoolActivities downloadedAndVerified() throws Exception {
    harness.close();
    services = harness.services(harness.load(harness.config()));
    selected =
        new RestoreCatalog(services.catalogDataSource()).select(RestoreSelector.latest("models"));
    restoreId = "restore-streaming-" + System.nanoTime();
    activities = TestActivityEnvironment.newInstance();
    activities.registerActivitiesImplementations(new RestoreSpoolActivitiesImpl(services));
    RestoreSpoolActivities stub =
        activities.newActivityStub(
            RestoreSpoolActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofMinutes(2))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                .build());
    DownloadResult download = stub.downloadBackup(new DownloadRequest(restoreId, selected));
    stub.verifyBackup(new VerifyRequest(restoreId, selected, download));
    return stub;
  }

  @AfterEach
  void cleanSpool() throws Exception {
    if (activities != null) {
      activities.close();
      services.spool().delete(restoreId);
      activities = null;
    }
  }

  private void assertRestoreFails(RestoreSpoolActivities stub, Path target, String message)
      throws IOException {
    assertThatThrownBy(
            () ->
                stub.restoreBackup(
                    new RestoreDataRequest(
                        restoreId, selected, RestoreTarget.directory(target.toString()), false, 2)))
        .isInstanceOf(ActivityFailure.class)
        .satisfies(
            failure -> {
              assertThat(Failures.type(failure)).isEqualTo("DUMP_INVALID");
              assertThat(Failures.reason(failure)).contains(message).doesNotContain("\n");
            });
    assertThat(target).doesNotExist();
    try (Stream<Path> siblings = Files.list(target.getParent())) {
      assertThat(siblings.map(path -> path.getFileName().toString()))
          .noneMatch(name -> name.contains(target.getFileName() + ".vigil-staging"));
    }
  }
}
