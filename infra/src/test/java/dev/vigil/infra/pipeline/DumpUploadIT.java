package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.BackupActivitiesImpl;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.testing.ProcessSignals;
import dev.vigil.workflows.backup.BackupActivities;
import dev.vigil.workflows.backup.DumpRequest;
import dev.vigil.workflows.backup.DumpResult;
import dev.vigil.workflows.backup.SealRequest;
import dev.vigil.workflows.backup.SealResult;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.backup.SpoolActivities;
import dev.vigil.workflows.backup.UploadRequest;
import dev.vigil.workflows.backup.UploadResult;
import dev.vigil.workflows.backup.UploadVerification;
import dev.vigil.workflows.backup.VerifyDumpRequest;
import dev.vigil.workflows.backup.VerifyDumpResult;
import dev.vigil.workflows.backup.VerifyUploadRequest;
import dev.vigil.workflows.common.ErrorType;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * A PostgreSQL logical dump sends its sealed parts to S3 while pg_dump still runs (S3Mock over
 * HTTP, a real cluster): the upload step then finds every part and only completes the upload; a
 * dump that fails, or one whose upload step never comes, leaves no object and no open upload.
 */
class DumpUploadIT {
  @TempDir Path dir;

  private PipelineHarness harness;
  private TestActivityEnvironment environment;
  private VigilServices services;
  private SpoolActivities spool;
  private BackupActivities shared;
  private SourceRef source;

  @AfterEach
  void tearDown() {
    if (environment != null) {
      environment.close();
    }
    harness.close();
  }

  @Test
  void theDumpSendsEveryPartAndTheUploadStepOnlyCompletesTheUpload() throws Exception {
    start(true, 200_000);
    DumpResult dump = spool.dump(new DumpRequest("appdb-early", source));
    String key = dataKey("appdb-early");

    // Before the upload step: every part of the sealed file is in the store, nothing is complete.
    long size = Files.size(services.spool().dir("appdb-early").resolve(Spool.SEALED));
    int expectedParts = (int) ((size + (5 << 20) - 1) / (5 << 20));
    assertThat(expectedParts).as("a dump of several parts").isGreaterThanOrEqualTo(4);
    MultipartUpload open = onlyOpenUpload(key);
    assertThat(partsOf(key, open.uploadId())).isEqualTo(expectedParts);
    assertNoObject(key);

    VerifyDumpResult check = spool.verifyDump(new VerifyDumpRequest(source, dump));
    SealResult sealed = spool.seal(new SealRequest(source, dump));
    UploadResult upload = spool.upload(new UploadRequest("set-1", source, dump, sealed, check));

    assertThat(upload.parts()).isEqualTo(expectedParts);
    assertThat(upload.resumedParts())
        .as("parts the upload step did not send")
        .isEqualTo(upload.parts());
    assertThat(openUploads()).as("incomplete multipart uploads").isEmpty();
    UploadVerification verification =
        shared.verifyUpload(new VerifyUploadRequest("main", upload, sealed));
    assertThat(verification.method()).isEqualTo("checksum");
    assertThat(verification.sha256()).isEqualTo(sealed.sha256());
    assertThat(sha256(key)).isEqualTo(sealed.sha256());
    assertThat(services.spool().dir("appdb-early").resolve(Spool.EARLY_UPLOAD)).doesNotExist();
  }

  @Test
  void aDumpWhosePgDumpDiesAfterSomePartsLeavesNoObjectAndNoOpenUpload() throws Exception {
    // Enough rows that pg_dump is still writing when the first part is sealed: multi-threaded zstd
    // takes in a whole job (many MiB) before it writes anything, so a dump of a few jobs can end
    // before the first part exists.
    start(true, 600_000);
    String key = dataKey("appdb-killed");
    // pg_dump waits for its ACCESS SHARE lock behind this transaction until the test has found and
    // paused it: a fast dump must not finish between being started and being caught.
    java.sql.Connection blocker = harness.postgres.connect(harness.sourceDb);
    blocker.setAutoCommit(false);
    blocker.createStatement().execute("LOCK TABLE chat IN ACCESS EXCLUSIVE MODE");
    CompletableFuture<DumpResult> dump =
        CompletableFuture.supplyAsync(() -> spool.dump(new DumpRequest("appdb-killed", source)));

    // pg_dump runs in 5 ms slices until the sealed stream's first part is ready (the upload
    // exists), then stays paused until that part is in the store, and is killed: a dump that
    // fails after some parts were sent.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    ProcessHandle pgDump = harness.awaitPgDump(dump);
    ProcessSignals.signal("STOP", pgDump);
    blocker.commit();
    blocker.close();
    ProcessSignals.stepUntil(pgDump, () -> !openUploads().isEmpty(), 60);
    String uploadId = onlyOpenUpload(key).uploadId();
    while (partsOf(key, uploadId) == 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(partsOf(key, uploadId)).as("parts sent while pg_dump ran").isPositive();
    ProcessSignals.signal("KILL", pgDump);

    assertThatThrownBy(dump::get)
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("pg_dump");
    assertThat(openUploads()).as("incomplete multipart uploads").isEmpty();
    assertNoObject(key);
  }

  @Test
  void theSpoolCleanupAbortsTheUploadOfADumpThatIsNeverUploaded() throws Exception {
    // What a run that fails after its dump (an empty dump, a cancel) leaves to its cleanup.
    start(true, 100_000);
    spool.dump(new DumpRequest("appdb-clean", source));
    String key = dataKey("appdb-clean");
    assertThat(partsOf(key, onlyOpenUpload(key).uploadId())).isPositive();

    spool.cleanSpool("appdb-clean");

    assertThat(openUploads()).as("incomplete multipart uploads").isEmpty();
    assertNoObject(key);
  }

  @Test
  void aRetriedDumpAbortsWhatTheEarlierAttemptSent() throws Exception {
    start(true, 100_000);
    spool.dump(new DumpRequest("appdb-retry", source));
    String key = dataKey("appdb-retry");
    String first = onlyOpenUpload(key).uploadId();

    // The dump runs again (its activity retried): its sealed file has a new nonce.
    DumpResult dump = spool.dump(new DumpRequest("appdb-retry", source));

    MultipartUpload second = onlyOpenUpload(key);
    assertThat(second.uploadId()).isNotEqualTo(first);
    VerifyDumpResult check = spool.verifyDump(new VerifyDumpRequest(source, dump));
    SealResult sealed = spool.seal(new SealRequest(source, dump));
    UploadResult upload = spool.upload(new UploadRequest("set-1", source, dump, sealed, check));
    assertThat(upload.resumedParts()).isEqualTo(upload.parts());
    assertThat(sha256(key)).isEqualTo(sealed.sha256());
    assertThat(openUploads()).isEmpty();
  }

  @Test
  void withUploadWhileDumpingOffTheDumpSendsNothing() throws Exception {
    start(false, 100_000);
    DumpResult dump = spool.dump(new DumpRequest("appdb-off", source));
    assertThat(openUploads()).isEmpty();
    VerifyDumpResult check = spool.verifyDump(new VerifyDumpRequest(source, dump));
    SealResult sealed = spool.seal(new SealRequest(source, dump));
    UploadResult upload = spool.upload(new UploadRequest("set-1", source, dump, sealed, check));
    assertThat(upload.resumedParts()).isZero();
    assertThat(sha256(dataKey("appdb-off"))).isEqualTo(sealed.sha256());
  }

  @Test
  void aSealedFileDamagedOnDiskBeforeTheUploadIsRefusedAndNothingIsStored() throws Exception {
    // Nothing sent while dumping: the upload step sends every part, with the CRCs the dump took
    // while sealing, and does not read the file again to take them.
    start(false, 200_000);
    DumpResult dump = spool.dump(new DumpRequest("appdb-rot", source));
    Path sealedFile = services.spool().dir("appdb-rot").resolve(Spool.SEALED);
    assertThat(services.spool().dir("appdb-rot").resolve(Spool.SEALED_SUMS)).exists();
    long size = Files.size(sealedFile);
    assertThat(size).as("a file of several 5 MiB parts").isGreaterThan(3L * (5 << 20));
    // One flipped bit in the third part, size unchanged: the bit rot a disk can cause.
    long at = 2L * (5 << 20) + 12_345;
    try (FileChannel channel =
        FileChannel.open(sealedFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      channel.read(one, at);
      channel.write(ByteBuffer.wrap(new byte[] {(byte) (one.get(0) ^ 0x10)}), at);
    }
    VerifyDumpResult check = spool.verifyDump(new VerifyDumpRequest(source, dump));
    SealResult sealed = spool.seal(new SealRequest(source, dump));

    assertThatThrownBy(() -> spool.upload(new UploadRequest("set-1", source, dump, sealed, check)))
        .isInstanceOf(ActivityFailure.class)
        .cause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            failure -> {
              assertThat(failure.getType()).isEqualTo(ErrorType.SPOOL_MISSING.name());
              assertThat(failure.isNonRetryable()).isTrue();
            })
        .hasMessageContaining("changed on disk after it was sealed")
        .hasMessageContaining("bytes 10485760-15728639");
    assertThat(openUploads()).as("incomplete multipart uploads").isEmpty();
    assertNoObject(dataKey("appdb-rot"));
  }

  @Test
  void partsSentWhileDumpingNeedNoSecondReadOfTheSealedFile() throws Exception {
    start(true, 100_000);
    DumpResult dump = spool.dump(new DumpRequest("appdb-sent", source));
    Path sealedFile = services.spool().dir("appdb-sent").resolve(Spool.SEALED);
    // The store already holds every part; the upload step only completes the upload with the CRCs
    // taken while sealing, so even a spool file that rotted since cannot spoil it.
    try (FileChannel channel = FileChannel.open(sealedFile, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 1000);
    }
    VerifyDumpResult check = spool.verifyDump(new VerifyDumpRequest(source, dump));
    SealResult sealed = spool.seal(new SealRequest(source, dump));
    UploadResult upload = spool.upload(new UploadRequest("set-1", source, dump, sealed, check));

    assertThat(upload.resumedParts()).isEqualTo(upload.parts());
    assertThat(sha256(dataKey("appdb-sent"))).isEqualTo(sealed.sha256());
    assertThat(shared.verifyUpload(new VerifyUploadRequest("main", upload, sealed)).sha256())
        .isEqualTo(sealed.sha256());
  }

  private void start(boolean uploadWhileDumping, int rows) throws Exception {
    harness = new PipelineHarness(dir);
    // Random hex: compresses about 2:1, so the sealed stream spans several 5 MiB parts.
    harness.postgres.createRandomHexTable(harness.sourceDb, "chat", rows);
    services =
        harness.services(
            harness.load(
                harness
                    .config()
                    .replace(
                        "path-style-access: true",
                        "path-style-access: true\n    part-size: 5MiB\n    upload-concurrency: 2"
                            + (uploadWhileDumping ? "" : "\n    upload-while-dumping: false"))));
    environment = TestActivityEnvironment.newInstance();
    environment.registerActivitiesImplementations(
        new SpoolActivitiesImpl(services), new BackupActivitiesImpl(services));
    spool = environment.newActivityStub(SpoolActivities.class);
    shared = environment.newActivityStub(BackupActivities.class);
    source = BackupActivitiesImpl.ref(services.source("appdb"));
  }

  private String dataKey(String backupId) {
    return services.store("main").key("appdb/" + backupId + "/" + Spool.SEALED);
  }

  private S3Client s3() {
    return harness.s3.client();
  }

  private List<MultipartUpload> openUploads() {
    return s3().listMultipartUploads(r -> r.bucket(harness.bucket)).uploads();
  }

  private MultipartUpload onlyOpenUpload(String key) {
    List<MultipartUpload> open = openUploads();
    assertThat(open).extracting(MultipartUpload::key).containsExactly(key);
    return open.get(0);
  }

  private int partsOf(String key, String uploadId) {
    return s3().listParts(r -> r.bucket(harness.bucket).key(key).uploadId(uploadId)).parts().size();
  }

  private String sha256(String key) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream in =
        new DigestInputStream(s3().getObject(r -> r.bucket(harness.bucket).key(key)), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private void assertNoObject(String key) {
    assertThatThrownBy(() -> s3().headObject(r -> r.bucket(harness.bucket).key(key)))
        .as("an object at " + key)
        .isInstanceOf(NoSuchKeyException.class);
  }
}
