package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.BackupActivitiesImpl;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.source.PgTools;
import dev.vigil.activities.store.WrittenChecksums;
import dev.vigil.workflows.backup.DumpRequest;
import dev.vigil.workflows.backup.DumpResult;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SealRequest;
import dev.vigil.workflows.backup.SealResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.backup.SpoolActivities;
import dev.vigil.workflows.backup.VerifyDumpRequest;
import dev.vigil.workflows.backup.VerifyDumpResult;
import io.temporal.testing.TestActivityEnvironment;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PostgreSQL dump streams through the sealer: dump, check ({@code pg_restore --list} on the
 * stream) and seal are one pass with no raw file, the later steps find what it left, and a dump
 * whose server connection is killed mid-stream archives nothing (or, killed once, is retried afresh
 * and archives a whole backup).
 */
class StreamedDumpIT {
  private static final int BIG_ROWS = 150_000;

  @TempDir Path dir;

  private PipelineHarness harness;
  private TestActivityEnvironment environment;

  @BeforeEach
  void setUp() throws Exception {
    harness = new PipelineHarness(dir);
  }

  @AfterEach
  void tearDown() {
    if (environment != null) {
      environment.close();
    }
    harness.close();
  }

  @Test
  void theDumpStepSealsWhileDumpingAndLeavesNoRawFile() throws Exception {
    VigilServices services = harness.services(harness.load(harness.config()));
    SourceRef source = BackupActivitiesImpl.ref(services.source("appdb"));
    environment = TestActivityEnvironment.newInstance();
    environment.registerActivitiesImplementations(new SpoolActivitiesImpl(services));
    SpoolActivities spool = environment.newActivityStub(SpoolActivities.class);
    String backupId = "appdb-streamed";

    DumpResult dump = spool.dump(new DumpRequest(backupId, source));

    Path backupDir = harness.spool.resolve(backupId);
    try (Stream<Path> files = Files.list(backupDir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .as("the spool right after the dump step")
          .containsExactlyInAnyOrder(
              Spool.SEALED,
              Spool.SEALED_SUMS,
              Spool.SEAL_META,
              Spool.STREAM_CHECK,
              Spool.DUMP_META,
              Spool.TABLES,
              Spool.ROLES);
    }
    // The steps after the dump return what it left, the same on every retry.
    VerifyDumpResult check = spool.verifyDump(new VerifyDumpRequest(source, dump));
    assertThat(check.listedEntries()).isGreaterThan(0);
    assertThat(spool.verifyDump(new VerifyDumpRequest(source, dump))).isEqualTo(check);
    SealResult sealed = spool.seal(new SealRequest(source, dump));
    assertThat(spool.seal(new SealRequest(source, dump))).isEqualTo(sealed);
    assertThat(sealed.rawBytes()).isEqualTo(dump.rawBytes());
    assertThat(sealed.compression()).isEqualTo("zstd");
    assertThat(sealed.storedBytes()).isEqualTo(Files.size(backupDir.resolve(Spool.SEALED)));
    assertThat(sha256(backupDir.resolve(Spool.SEALED))).isEqualTo(sealed.sha256());
    // The CRCs taken while sealing describe the sealed file, so the upload step need not read it.
    assertThat(
            WrittenChecksums.readFrom(
                backupDir.resolve(Spool.SEALED_SUMS), sealed.storedBytes(), sealed.sha256()))
        .isPresent();

    // The sealed stream is a whole pg_dump archive: unsealed, it restores with parallel jobs.
    Path plain = dir.resolve("restore.pgc");
    try (InputStream in = Files.newInputStream(backupDir.resolve(Spool.SEALED));
        OutputStream out = Files.newOutputStream(plain)) {
      services.sealer().unseal(in, out, SpoolActivitiesImpl.aeadContext(backupId, source));
    }
    assertThat(Files.size(plain)).isEqualTo(dump.rawBytes());
    String restored = harness.postgres.createDatabase();
    pgRestore(plain, restored);
    assertThat(harness.postgres.queryLong(restored, "SELECT count(*) FROM conversations"))
        .isEqualTo(5000);
  }

  @Test
  void aDirectoryIsSealedWhileItIsArchivedAndLeavesNoRawTar() throws Exception {
    VigilServices services = harness.services(harness.load(harness.config()));
    SourceRef source = BackupActivitiesImpl.ref(services.source("models"));
    environment = TestActivityEnvironment.newInstance();
    environment.registerActivitiesImplementations(new SpoolActivitiesImpl(services));
    SpoolActivities spool = environment.newActivityStub(SpoolActivities.class);

    DumpResult dump = spool.dump(new DumpRequest("models-streamed", source));

    Path backupDir = harness.spool.resolve("models-streamed");
    try (Stream<Path> files = Files.list(backupDir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .as("the spool right after the dump step")
          .containsExactlyInAnyOrder(
              Spool.SEALED,
              Spool.SEALED_SUMS,
              Spool.SEAL_META,
              Spool.STREAM_CHECK,
              Spool.DUMP_META,
              "files.jsonl");
    }
    // models/, models/checkpoint-1/, weights.bin
    assertThat(spool.verifyDump(new VerifyDumpRequest(source, dump)).listedEntries()).isEqualTo(2);
    SealResult sealed = spool.seal(new SealRequest(source, dump));
    assertThat(sealed.compression()).as("random weights do not compress").isEqualTo("none");
    assertThat(sealed.rawBytes()).isEqualTo(dump.rawBytes()).isGreaterThan(800_000);
  }

  @Test
  void aDumpWhoseConnectionIsKilledOnEveryAttemptFailsAndArchivesNothing() throws Exception {
    addBigTable();
    AtomicInteger killed = new AtomicInteger();

    PlanResult result = runKilling(killed, Integer.MAX_VALUE);

    SourceBackupResult appdb = result.results().get(0);
    assertThat(appdb.status()).isEqualTo("FAILED");
    assertThat(appdb.failureType()).isEqualTo("DUMP_FAILED");
    assertThat(appdb.failure()).contains("pg_dump of database '" + harness.sourceDb + "'");
    assertThat(killed.get()).as("attempts killed mid-dump").isEqualTo(3);
    assertThat(harness.catalog())
        .singleElement()
        .satisfies(row -> assertThat(row.status()).isEqualTo("FAILED"));
    assertThat(
            harness.s3.client().listObjectsV2(r -> r.bucket(harness.bucket)).contents().stream()
                .filter(o -> o.key().contains("/appdb/")))
        .as("nothing of the backup stored")
        .isEmpty();
    try (Stream<Path> left = Files.list(harness.spool)) {
      assertThat(left).as("spool cleaned, no partial sealed file left").isEmpty();
    }
  }

  @Test
  void aDumpKilledOnceIsRetriedAfreshAndArchivesAWholeBackup() throws Exception {
    addBigTable();
    AtomicInteger killed = new AtomicInteger();

    PlanResult result = runKilling(killed, 1);

    SourceBackupResult appdb = result.results().get(0);
    assertThat(killed.get()).isEqualTo(1);
    assertThat(appdb.status()).isEqualTo("ARCHIVED");
    assertThat(harness.attempts("backup-" + appdb.backupId(), "Dump")).isEqualTo(2);
    assertThat(harness.catalog())
        .singleElement()
        .satisfies(
            row -> {
              assertThat(row.status()).isEqualTo("ARCHIVED");
              assertThat(row.sha256()).isEqualTo(appdb.sha256());
            });
  }

  private PlanResult runKilling(AtomicInteger killed, int times) throws Exception {
    AtomicBoolean done = new AtomicBoolean();
    // A backend signalled a moment ago may still show its COPY while it exits: count it once.
    Set<Integer> terminated = new HashSet<>();
    Thread killer =
        new Thread(
            () -> {
              while (!done.get() && killed.get() < times) {
                terminated.addAll(terminateCopies());
                killed.set(terminated.size());
                sleep(5);
              }
            });
    killer.setDaemon(true);
    killer.start();
    try {
      return harness.runSkippingRetryWaits(harness.load(harness.config()), List.of("appdb"));
    } finally {
      done.set(true);
      killer.join();
    }
  }

  /** Ends pg_dump's server connection while it copies rows, as a restart would. */
  /** Terminates every backend running a COPY in the source database; their pids. */
  private List<Integer> terminateCopies() {
    try (Connection connection = harness.postgres.connect(harness.sourceDb);
        Statement statement = connection.createStatement();
        ResultSet ended =
            statement.executeQuery(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND query LIKE 'COPY %' AND pid <> pg_backend_pid()"
                    + " AND pg_terminate_backend(pid)")) {
      List<Integer> pids = new ArrayList<>();
      while (ended.next()) {
        pids.add(ended.getInt(1));
      }
      return pids;
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** About 60 MB of text: pg_dump copies it for a while, so the killer catches it mid-stream. */
  private void addBigTable() {
    harness.postgres.execute(
        harness.sourceDb,
        "CREATE TABLE messages (id bigint PRIMARY KEY, body text)",
        "INSERT INTO messages SELECT g, repeat(md5(g::text) || ' wrote something; ', 8)"
            + " FROM generate_series(1, "
            + BIG_ROWS
            + ") g");
  }

  private void pgRestore(Path archive, String database) throws Exception {
    PgTools tools = PgTools.locate();
    PgTools.ProcessOutcome outcome =
        tools.run(
            List.of(
                tools.pgRestore(),
                "--no-owner",
                "--exit-on-error",
                "-j",
                "2",
                "-h",
                harness.postgres.cluster().host(),
                "-p",
                Integer.toString(harness.postgres.cluster().port()),
                "-U",
                harness.postgres.superuser(),
                "-d",
                database,
                archive.toString()),
            Map.of("PGPASSWORD", harness.postgres.password()),
            null,
            Duration.ofSeconds(1),
            () -> {});
    assertThat(outcome.exitCode()).as(outcome.stderrTail()).isZero();
  }

  private static String sha256(Path file) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
