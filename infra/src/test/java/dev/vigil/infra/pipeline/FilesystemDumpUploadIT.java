package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.BackupActivitiesImpl;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.testing.Await;
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
import io.temporal.testing.TestActivityEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PostgreSQL logical dump into a {@code type: filesystem} repository copies its sealed parts (16
 * MiB) into the upload's hidden partial file while pg_dump still runs (a real cluster): the upload
 * step then appends only the short last part and publishes. A dump that fails, or one whose upload
 * step never comes, leaves no object and no partial file.
 */
class FilesystemDumpUploadIT {
  private static final long PART = 16L << 20;

  @TempDir Path dir;

  private PipelineHarness harness;
  private TestActivityEnvironment environment;
  private VigilServices services;
  private SpoolActivities spool;
  private BackupActivities shared;
  private SourceRef source;
  private Path repository;

  @AfterEach
  void tearDown() {
    if (environment != null) {
      environment.close();
    }
    harness.close();
  }

  @Test
  void theDumpCopiesItsWholePartsAndTheUploadStepOnlyAppendsTheRest() throws Exception {
    start(400_000);
    DumpResult dump = spool.dump(new DumpRequest("appdb-early", source));
    Path sealedFile = services.spool().dir("appdb-early").resolve(Spool.SEALED);
    long size = Files.size(sealedFile);
    long wholeParts = size / PART;
    assertThat(wholeParts).as("a sealed dump of several 16 MiB parts").isGreaterThanOrEqualTo(2);

    // Before the upload step: the whole parts are in the hidden partial file, byte for byte, and
    // no object is visible.
    Path partial = onlyPartial("appdb-early");
    assertThat(Files.size(partial)).isEqualTo(wholeParts * PART);
    assertThat(sha256Of(partial, wholeParts * PART))
        .isEqualTo(sha256Of(sealedFile, wholeParts * PART));
    assertThat(repository.resolve(dataKey("appdb-early"))).doesNotExist();
    assertThat(services.spool().dir("appdb-early").resolve(Spool.EARLY_UPLOAD)).exists();

    VerifyDumpResult check = spool.verifyDump(new VerifyDumpRequest(source, dump));
    SealResult sealed = spool.seal(new SealRequest(source, dump));
    UploadResult upload = spool.upload(new UploadRequest("set-1", source, dump, sealed, check));

    assertThat(upload.resumedParts()).as("parts written while dumping").isEqualTo(wholeParts);
    assertThat(upload.parts()).isEqualTo((size + PART - 1) / PART);
    assertThat(partials()).as("partial files").isEmpty();
    UploadVerification verification =
        shared.verifyUpload(new VerifyUploadRequest("main", upload, sealed));
    assertThat(verification.method()).isEqualTo("read-back");
    assertThat(verification.sha256()).isEqualTo(sealed.sha256());
    try (InputStream stored = Files.newInputStream(repository.resolve(dataKey("appdb-early")))) {
      assertThat(Digests.sha256Hex(stored)).isEqualTo(sealed.sha256());
    }
    assertThat(services.spool().dir("appdb-early").resolve(Spool.EARLY_UPLOAD)).doesNotExist();
  }

  @Test
  void aDumpWhosePgDumpDiesAfterSomePartsLeavesNoObjectAndNoPartialFile() throws Exception {
    start(1_000_000);
    // pg_dump waits behind this lock until the test has found and paused it.
    java.sql.Connection blocker = harness.postgres.connect(harness.sourceDb);
    blocker.setAutoCommit(false);
    blocker.createStatement().execute("LOCK TABLE chat IN ACCESS EXCLUSIVE MODE");
    CompletableFuture<DumpResult> dump =
        CompletableFuture.supplyAsync(() -> spool.dump(new DumpRequest("appdb-killed", source)));
    ProcessHandle pgDump = harness.awaitPgDump(dump);
    ProcessSignals.signal("STOP", pgDump);
    blocker.commit();
    blocker.close();
    // pg_dump runs in short slices until the sealed spool file holds more than a part, stays
    // paused while the copier copies it into the partial file, and is killed.
    Path sealing = services.spool().dir("appdb-killed").resolve(Spool.SEALED + ".partial");
    ProcessSignals.stepUntil(pgDump, () -> sealing.toFile().length() > PART + (1 << 20), 60);
    Await.until(
        Duration.ofSeconds(60),
        () -> partialBytes("appdb-killed") >= PART,
        "a whole part copied into the repository");
    ProcessSignals.signal("KILL", pgDump);

    assertThatThrownBy(dump::get)
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("pg_dump");
    assertThat(partials()).as("partial files").isEmpty();
    assertThat(repository.resolve(dataKey("appdb-killed"))).doesNotExist();
  }

  @Test
  void theSpoolCleanupRemovesThePartialFileOfADumpThatIsNeverUploaded() throws Exception {
    start(400_000);
    spool.dump(new DumpRequest("appdb-clean", source));
    assertThat(Files.size(onlyPartial("appdb-clean"))).isGreaterThanOrEqualTo(PART);

    spool.cleanSpool("appdb-clean");

    assertThat(partials()).as("partial files").isEmpty();
    assertThat(repository.resolve(dataKey("appdb-clean"))).doesNotExist();
  }

  @Test
  void aRetriedDumpReplacesWhatTheEarlierAttemptCopied() throws Exception {
    start(400_000);
    spool.dump(new DumpRequest("appdb-retry", source));
    Path first = onlyPartial("appdb-retry");

    // The dump runs again (its activity retried): its sealed file has a new nonce.
    DumpResult dump = spool.dump(new DumpRequest("appdb-retry", source));

    Path second = onlyPartial("appdb-retry");
    assertThat(second).isNotEqualTo(first);
    VerifyDumpResult check = spool.verifyDump(new VerifyDumpRequest(source, dump));
    SealResult sealed = spool.seal(new SealRequest(source, dump));
    UploadResult upload = spool.upload(new UploadRequest("set-1", source, dump, sealed, check));
    assertThat(upload.resumedParts()).isPositive();
    assertThat(shared.verifyUpload(new VerifyUploadRequest("main", upload, sealed)).sha256())
        .isEqualTo(sealed.sha256());
    assertThat(partials()).isEmpty();
  }

  private void start(int rows) throws Exception {
    harness = new PipelineHarness(dir);
    repository = Files.createDirectories(dir.resolve("backup-disk"));
    // Random hex: compresses about 2:1, so the sealed stream spans several 16 MiB parts.
    harness.postgres.createRandomHexTable(harness.sourceDb, "chat", rows);
    services = harness.services(harness.load(harness.filesystemConfig(repository)));
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

  private List<Path> partials() throws IOException {
    if (!Files.isDirectory(repository)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(repository)) {
      return files.filter(p -> p.getFileName().toString().contains(".vigil-partial-")).toList();
    }
  }

  private Path onlyPartial(String backupId) throws IOException {
    List<Path> partials = partials();
    assertThat(partials).hasSize(1);
    assertThat(partials.get(0).getFileName().toString())
        .startsWith(Path.of(dataKey(backupId)).getFileName() + ".vigil-partial-");
    return partials.get(0);
  }

  private long partialBytes(String backupId) {
    try {
      return partials().stream()
          .filter(p -> p.toString().contains(backupId))
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  return 0;
                }
              })
          .sum();
    } catch (IOException e) {
      return 0;
    }
  }

  /** The SHA-256 of the first {@code length} bytes of {@code file}. */
  private static String sha256Of(Path file, long length) throws IOException {
    MessageDigest digest = Digests.sha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 20];
      long left = length;
      while (left > 0) {
        int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        assertThat(read).as("bytes left in " + file).isPositive();
        digest.update(buffer, 0, read);
        left -= read;
      }
    }
    return Digests.hex(digest);
  }
}
