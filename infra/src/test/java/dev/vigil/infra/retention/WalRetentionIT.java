package dev.vigil.infra.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.retention.ColdRestorer;
import dev.vigil.activities.retention.RetentionActivitiesImpl;
import dev.vigil.activities.retention.RetentionMetrics;
import dev.vigil.activities.wal.WalArchive;
import dev.vigil.activities.wal.WalSegment;
import dev.vigil.infra.wal.WalCluster;
import dev.vigil.starter.RetentionClient;
import dev.vigil.worker.SearchAttributeRegistration;
import dev.vigil.workflows.retention.RetentionResult;
import dev.vigil.workflows.retention.RetentionWorkflowImpl;
import dev.vigil.workflows.retention.SourceRetentionResult;
import dev.vigil.workflows.retention.WalExpiry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WAL retention on real parts: a PostgreSQL 15 cluster archives its WAL (segments and the backup
 * labels of four base backups) which is sealed into S3Mock through {@link WalArchive}; the catalog
 * holds the four base backups with their real start LSNs; retention with {@code keep-last: 2}
 * prunes the two oldest and must leave exactly the WAL the two kept ones need.
 */
class WalRetentionIT {
  private static final String POLICY =
      """
      mode: physical
      retention:
        keep-last: 2
      """;

  @TempDir Path dir;
  private RetentionHarness harness;
  private VigilServices services;
  private WalCluster postgres;
  private TestWorkflowEnvironment environment;
  private CrashingRetentionActivities crashing;
  private final List<String> starts = new ArrayList<>();

  @BeforeEach
  void archiveRealWal() throws Exception {
    harness = new RetentionHarness(dir);
    services = harness.services(harness.load(harness.config("", POLICY)));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path archive = Files.createDirectories(dir.resolve("pg-archive"));
    Files.setPosixFilePermissions(archive, PosixFilePermissions.fromString("rwxrwxrwx"));
    postgres = WalCluster.start(dir.resolve("pg"), "cp %p " + archive + "/%f");
    for (int backup = 0; backup < 4; backup++) {
      postgres.switchSegment();
      postgres.switchSegment();
      starts.add(postgres.baseBackup("b" + backup));
    }
    postgres.awaitArchived(postgres.switchSegment());
    WalArchive wal =
        new WalArchive(services.store("main"), services.sealer(), "appdb", dir.resolve("scratch"));
    try (Stream<Path> files = Files.list(archive)) {
      for (Path file : files.sorted().toList()) {
        wal.push(file);
      }
    }
    // What a promotion leaves: a history file (kept whatever its age) and an old partial segment.
    Path promoted = Files.createDirectories(dir.resolve("promoted"));
    wal.push(Files.writeString(promoted.resolve("00000002.history"), "1\t0/5000000\tno recovery"));
    wal.push(
        Files.copy(
            archive.resolve("000000010000000000000002"),
            promoted.resolve("000000010000000000000002.partial")));
    for (int backup = 0; backup < 4; backup++) {
      physicalBackup("appdb-b" + backup, 4 - backup, starts.get(backup));
    }
  }

  @AfterEach
  void stop() {
    if (environment != null) {
      environment.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    harness.close();
  }

  @Test
  void expiringBaseBackupsDeletesExactlyTheWalBeforeTheOldestKeptOnesStartSegment()
      throws Exception {
    String keepFrom = segment(starts.get(2));
    List<String> walBefore = walKeys();
    List<String> expected = kept(walBefore, keepFrom);
    List<String> expired = walBefore.stream().filter(key -> !expected.contains(key)).toList();
    long expiredSegments =
        expired.stream().filter(key -> key.matches(".*/[0-9A-F]{24}\\.vgl")).count();
    // Segments 1 and up, both older labels, the partial: there is something to delete and to keep.
    assertThat(expiredSegments).isGreaterThanOrEqualTo(5);
    assertThat(expired).anyMatch(key -> key.endsWith(".backup.vgl"));
    assertThat(expired).anyMatch(key -> key.endsWith(".partial.vgl"));
    assertThat(expected).anyMatch(key -> key.endsWith(".backup.vgl"));
    // Not the source's WAL, though its key starts with "appdb/wal": never listed, never deleted.
    String neighbour = "appdb/walrus/00000001/000000010000000000000001.vgl";
    harness
        .s3
        .client()
        .putObject(
            request -> request.bucket(harness.bucket).key(neighbour),
            software.amazon.awssdk.core.sync.RequestBody.fromString("not WAL"));
    worker();

    RetentionResult dryRun = run(true);

    WalExpiry planned = only(dryRun).plan().wal();
    assertThat(planned.keepFrom()).isEqualTo(keepFrom);
    assertThat(planned.keptFor()).isEqualTo("appdb-b2");
    assertThat(planned.segments()).isEqualTo(expiredSegments);
    assertThat(planned.otherFiles()).isEqualTo(expired.size() - expiredSegments);
    assertThat(planned.summary())
        .isEqualTo(
            "WAL: "
                + expiredSegments
                + " segments and "
                + (expired.size() - expiredSegments)
                + " labels/partial files before "
                + keepFrom
                + " (kept for backup appdb-b2)");
    assertThat(walKeys()).isEqualTo(walBefore);

    RetentionResult applied = run(false);

    assertThat(only(applied).failures()).isEmpty();
    assertThat(harness.catalogText("appdb-b0", "status")).isEqualTo("PRUNED");
    assertThat(harness.catalogText("appdb-b1", "status")).isEqualTo("PRUNED");
    assertThat(walKeys()).containsExactlyElementsOf(expected);
    assertThat(harness.head(neighbour)).isNotNull();
    assertThat(only(applied).applied()).contains("delete " + planned.summary());
    // The step was retried after a crash right after it deleted everything: nothing more went.
    assertThat(crashing.crashes).contains("deleteExpiredWal appdb");

    RetentionResult again = run(false);

    assertThat(only(again).applied()).isEmpty();
    assertThat(only(again).plan().wal().segments()).isZero();
    assertThat(walKeys()).containsExactlyElementsOf(expected);
  }

  @Test
  void aRunThatDiedHalfwayThroughTheWalIsFinishedByTheNextOne() throws Exception {
    String keepFrom = segment(starts.get(2));
    List<String> walBefore = walKeys();
    List<String> expected = kept(walBefore, keepFrom);
    // The catalog as the dead run left it (prunes done), and the oldest WAL objects already gone.
    harness.postgres.execute(
        harness.catalogDb,
        "UPDATE vigil.backup SET status = 'PRUNED' WHERE backup_id IN ('appdb-b0', 'appdb-b1')");
    List<String> expired = walBefore.stream().filter(key -> !expected.contains(key)).toList();
    for (String key : expired.subList(0, expired.size() / 2)) {
      services.store("main").delete(key);
    }
    worker();

    RetentionResult result = run(false);

    assertThat(only(result).failures()).isEmpty();
    assertThat(walKeys()).containsExactlyElementsOf(expected);
    assertThat(only(result).plan().wal().segments() + only(result).plan().wal().otherFiles())
        .isEqualTo(expired.size() - expired.size() / 2);
  }

  /** The keys that must stay: history files, and everything from {@code keepFrom} on. */
  private static List<String> kept(List<String> keys, String keepFrom) {
    return keys.stream()
        .filter(
            key -> {
              String file = key.substring(key.lastIndexOf('/') + 1);
              return file.endsWith(".history.vgl")
                  || file.substring(0, 24).compareTo(keepFrom) >= 0;
            })
        .toList();
  }

  private static String segment(String lsn) {
    return WalSegment.containing(1, lsn, WalSegment.DEFAULT_SIZE).name(WalSegment.DEFAULT_SIZE);
  }

  private List<String> walKeys() {
    return harness.keys().stream().filter(key -> key.startsWith("appdb/wal/")).sorted().toList();
  }

  /** A physical base backup in the store and the catalog, {@code daysOld} days old. */
  private void physicalBackup(String backupId, int daysOld, String startLsn) throws Exception {
    byte[] bytes = new byte[10_000];
    new Random(backupId.hashCode()).nextBytes(bytes);
    Path file = Files.write(dir.resolve(backupId + ".bin"), bytes);
    String sha256;
    try (var in = Files.newInputStream(file)) {
      sha256 = dev.vigil.activities.common.Digests.sha256Hex(in);
    }
    String dataKey = "appdb/" + backupId + "/data.vgl";
    String manifestKey = "appdb/" + backupId + "/manifest.json";
    harness
        .s3
        .client()
        .putObject(
            request -> request.bucket(harness.bucket).key(dataKey),
            software.amazon.awssdk.core.sync.RequestBody.fromFile(file));
    harness
        .s3
        .client()
        .putObject(
            request -> request.bucket(harness.bucket).key(manifestKey),
            software.amazon.awssdk.core.sync.RequestBody.fromString("{}"));
    harness.postgres.execute(
        harness.catalogDb,
        ("INSERT INTO vigil.backup (backup_id, source, source_type, kind, repository, status,"
                + " started_at, finished_at, consistent_at, raw_bytes, stored_bytes, sha256, bucket,"
                + " object_key, manifest_key, storage_class, format, backup_mode, start_lsn,"
                + " timeline) VALUES ('%s', 'appdb', 'postgres', 'database', 'main', 'ARCHIVED',"
                + " now() - interval '%d days', now() - interval '%d days', now() - interval '%d"
                + " days', %d, %d, '%s', '%s', '%s', '%s', 'STANDARD', 'tar', 'physical', '%s', 1)")
            .formatted(
                backupId,
                daysOld,
                daysOld,
                daysOld,
                bytes.length,
                bytes.length,
                sha256,
                harness.bucket,
                dataKey,
                manifestKey,
                startLsn),
        ("INSERT INTO vigil.backup_object (backup_id, role, bucket, object_key, size_bytes,"
                + " sha256, storage_class) VALUES ('%s', 'data', '%s', '%s', %d, '%s', 'STANDARD')")
            .formatted(backupId, harness.bucket, dataKey, bytes.length, sha256));
  }

  private void worker() {
    environment =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    Worker worker = environment.newWorker("vigil");
    worker.registerWorkflowImplementationTypes(RetentionWorkflowImpl.class);
    crashing =
        new CrashingRetentionActivities(
            new RetentionActivitiesImpl(
                services, new RetentionMetrics(new SimpleMeterRegistry()), ColdRestorer.STORE),
            harness::claimedButMissing);
    worker.registerActivitiesImplementations(crashing);
    environment.start();
    SearchAttributeRegistration.register(
        environment.getWorkflowClient().getWorkflowServiceStubs(), environment.getNamespace());
  }

  private RetentionResult run(boolean dryRun) {
    RetentionClient client = new RetentionClient(environment.getWorkflowClient(), "vigil");
    return client.await(client.start(dryRun, List.of("appdb"), System.currentTimeMillis(), "test"));
  }

  private static SourceRetentionResult only(RetentionResult result) {
    assertThat(result.sources()).hasSize(1);
    return result.sources().get(0);
  }
}
