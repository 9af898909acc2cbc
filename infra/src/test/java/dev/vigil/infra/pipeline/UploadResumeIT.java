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
 * next attempt: it sends only the remaining parts and the stored object verifies.
 */
class UploadResumeIT {
  @TempDir Path dir;

  private PipelineHarness harness;
  private TestActivityEnvironment environment;

  @AfterEach
  void tearDown() {
    if (environment != null) {
      environment.close();
    }
    harness.close();
  }

  @Test
  void uploadAfterACrashResumesFromHeartbeatDetailsWithoutResendingParts() throws Exception {
    harness = new PipelineHarness(dir);
    byte[] weights = new byte[26 << 20];
    new Random(5).nextBytes(weights);
    Files.write(dir.resolve("models/checkpoint-1/weights.bin"), weights);
    VigilServices services =
        harness.services(
            harness.load(
                harness
                    .config()
                    .replace(
                        "path-style-access: true",
                        "path-style-access: true\n    part-size: 5MiB")));
    SourceRef source = BackupActivitiesImpl.ref(services.source("models"));
    environment = TestActivityEnvironment.newInstance();
    environment.registerActivitiesImplementations(
        new SpoolActivitiesImpl(services), new BackupActivitiesImpl(services));
    SpoolActivities spool = environment.newActivityStub(SpoolActivities.class);
    BackupActivities shared = environment.newActivityStub(BackupActivities.class);
    DumpResult dump = spool.dump(new DumpRequest("models-resume", source));
    VerifyDumpResult check = spool.verifyDump(new VerifyDumpRequest(source, dump));
    SealResult sealed = spool.seal(new SealRequest(source, dump));
    UploadRequest request = new UploadRequest("set-1", source, dump, sealed, check);

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
                          if (progress.partsDone() == 3) {
                            throw new IllegalStateException("worker killed after part 3");
                          }
                        }))
        .hasMessage("worker killed after part 3");
    assertThat(lastHeartbeat.get().partsDone()).isEqualTo(3);

    environment.setActivityHeartbeatListener(UploadProgress.class, lastHeartbeat::set);
    environment.setHeartbeatDetails(lastHeartbeat.get());
    UploadResult upload = spool.upload(request);

    assertThat(upload.resumedParts()).isEqualTo(3);
    assertThat(upload.parts()).isEqualTo(6);
    UploadVerification verification =
        shared.verifyUpload(new VerifyUploadRequest("main", upload, sealed));
    assertThat(verification.sha256()).isEqualTo(sealed.sha256());
    assertThat(verification.size()).isEqualTo(sealed.storedBytes());
  }
}
