package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.BackupActivitiesImpl;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.store.ObjectAttributes;
import dev.vigil.workflows.backup.BackupActivities;
import dev.vigil.workflows.backup.DumpRequest;
import dev.vigil.workflows.backup.DumpResult;
import dev.vigil.workflows.backup.SealRequest;
import dev.vigil.workflows.backup.SealResult;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.backup.SpoolActivities;
import dev.vigil.workflows.backup.UploadProgress;
import dev.vigil.workflows.backup.UploadRequest;
import dev.vigil.workflows.backup.UploadResult;
import dev.vigil.workflows.backup.UploadVerification;
import dev.vigil.workflows.backup.VerifyDumpRequest;
import dev.vigil.workflows.backup.VerifyDumpResult;
import dev.vigil.workflows.backup.VerifyUploadRequest;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real upload activity, crashed after three parts, resumes from its heartbeat details on the
 * next attempt: it sends only the remaining parts and the stored object verifies. Verify-upload
 * compares the store's full-object checksum without downloading, and reads back when told to.
 */
class UploadResumeIT {
  @TempDir Path dir;

  private PipelineHarness harness;
  private TestActivityEnvironment environment;
  private TestActivityEnvironment readBackEnvironment;
  private VigilServices services;
  private SpoolActivities spool;
  private BackupActivities shared;

  @AfterEach
  void tearDown() {
    if (environment != null) {
      environment.close();
    }
    if (readBackEnvironment != null) {
      readBackEnvironment.close();
    }
    harness.close();
  }

  @Test
  void uploadAfterACrashResumesFromHeartbeatDetailsWithoutResendingParts() throws Exception {
    start();
    SealResult sealed = seal("models-resume");
    UploadRequest request = request(sealed);

    // Attempt 1 dies after part 3 (the worker was killed); its last heartbeat is what Temporal
    // hands the next attempt.
    String key = services.store("main").key("models/models-resume/" + Spool.SEALED);
    Path sealedFile = services.spool().dir("models-resume").resolve(Spool.SEALED);
    AtomicReference<UploadProgress> lastHeartbeat = new AtomicReference<>();
    assertThatThrownBy(
            () ->
                services
                    .store("main")
                    .uploadFile(
                        sealedFile,
                        key,
                        new ObjectAttributes("STANDARD", Map.of(), Map.of()),
                        null,
                        progress -> {
                          lastHeartbeat.set(progress);
                          // Parts finish out of order: the unbroken prefix may pass 3 at once.
                          if (progress.partsDone() >= 3) {
                            throw new IllegalStateException("worker killed after part 3");
                          }
                        }))
        .hasMessage("worker killed after part 3");
    int crashedAt = lastHeartbeat.get().partsDone();
    assertThat(crashedAt).isBetween(3, 5);

    environment.setActivityHeartbeatListener(UploadProgress.class, lastHeartbeat::set);
    environment.setHeartbeatDetails(lastHeartbeat.get());
    UploadResult upload = spool.upload(request);

    // Parts go up several at once: those past the heartbeat's prefix that were in flight are
    // kept too, found by listing the open upload.
    assertThat(upload.resumedParts()).isBetween(crashedAt, 5);
    assertThat(upload.parts()).isEqualTo(6);
    assertThat(upload.crc64nvme()).isNotBlank();
    UploadVerification verification =
        shared.verifyUpload(new VerifyUploadRequest("main", upload, sealed));
    assertThat(verification.method()).isEqualTo("checksum");
    assertThat(verification.sha256()).isEqualTo(sealed.sha256());
    assertThat(verification.size()).isEqualTo(sealed.storedBytes());
  }

  @Test
  void checksumVerificationFailsWhenTheStoreHoldsOtherBytesThanWereSealed() throws Exception {
    start();
    SealResult sealed = seal("models-replaced");
    UploadResult upload = spool.upload(request(sealed));
    assertThat(shared.verifyUpload(new VerifyUploadRequest("main", upload, sealed)).method())
        .isEqualTo("checksum");
    // Another writer replaces the object with other bytes of the same size.
    Path other = dir.resolve("other.bin");
    byte[] bytes = new byte[(int) sealed.storedBytes()];
    new Random(99).nextBytes(bytes);
    Files.write(other, bytes);
    services
        .store("main")
        .uploadFile(
            other,
            upload.objectKey(),
            new ObjectAttributes("STANDARD", Map.of(), Map.of()),
            null,
            progress -> {});

    assertThatThrownBy(() -> shared.verifyUpload(new VerifyUploadRequest("main", upload, sealed)))
        .rootCause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo("UPLOAD_MISMATCH");
              assertThat(failure.getOriginalMessage())
                  .contains(upload.objectKey())
                  .contains("CRC64NVME " + upload.crc64nvme());
            });
  }

  @Test
  void bitRotBehindTheStoresChecksumIsCaughtByReadBackNotByTheChecksum() throws Exception {
    start();
    SealResult sealed = seal("models-rot");
    UploadResult upload = spool.upload(request(sealed));
    // The stored bytes change on the store's disk after it checked them (a broken disk).
    harness.s3.flipBitOnDisk(harness.bucket, upload.objectKey(), 1000);

    // What the checksum cannot see: the store's checksum was computed when the bytes arrived.
    assertThat(shared.verifyUpload(new VerifyUploadRequest("main", upload, sealed)).method())
        .isEqualTo("checksum");
    // The harness closes the services it made last; these first ones are closed here.
    services.close();
    VigilServices readBack =
        harness.services(
            harness.load(
                harness
                    .config()
                    .replace(
                        "path-style-access: true",
                        "path-style-access: true\n    verify-upload: read-back")));
    readBackEnvironment = TestActivityEnvironment.newInstance();
    readBackEnvironment.registerActivitiesImplementations(new BackupActivitiesImpl(readBack));
    BackupActivities readBackActivities =
        readBackEnvironment.newActivityStub(BackupActivities.class);
    assertThatThrownBy(
            () -> readBackActivities.verifyUpload(new VerifyUploadRequest("main", upload, sealed)))
        .rootCause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> assertThat(failure.getType()).isEqualTo("UPLOAD_MISMATCH"));
  }

  private void start() throws Exception {
    harness = new PipelineHarness(dir);
    byte[] weights = new byte[26 << 20];
    new Random(5).nextBytes(weights);
    Files.write(dir.resolve("models/checkpoint-1/weights.bin"), weights);
    services =
        harness.services(
            harness.load(
                harness
                    .config()
                    .replace(
                        "path-style-access: true",
                        // Two parts in flight: a crash after part 3 leaves one still to send.
                        "path-style-access: true\n    part-size: 5MiB\n    upload-concurrency: 2")));
    environment = TestActivityEnvironment.newInstance();
    environment.registerActivitiesImplementations(
        new SpoolActivitiesImpl(services), new BackupActivitiesImpl(services));
    spool = environment.newActivityStub(SpoolActivities.class);
    shared = environment.newActivityStub(BackupActivities.class);
  }

  private DumpResult dump;
  private VerifyDumpResult check;

  private SealResult seal(String backupId) {
    SourceRef source = BackupActivitiesImpl.ref(services.source("models"));
    dump = spool.dump(new DumpRequest(backupId, source));
    check = spool.verifyDump(new VerifyDumpRequest(source, dump));
    return spool.seal(new SealRequest(source, dump));
  }

  private UploadRequest request(SealResult sealed) {
    SourceRef source = BackupActivitiesImpl.ref(services.source("models"));
    return new UploadRequest("set-1", source, dump, sealed, check);
  }
}
