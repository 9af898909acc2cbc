package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.BackupActivitiesImpl;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.source.redis.FreshRedisServers;
import dev.vigil.activities.testing.RedisFixture;
import dev.vigil.starter.BackupClient;
import dev.vigil.starter.DrillClient;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.BackupPlanWorkflowImpl;
import dev.vigil.workflows.backup.DumpRequest;
import dev.vigil.workflows.backup.DumpResult;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SealRequest;
import dev.vigil.workflows.backup.SealResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.backup.SourceBackupWorkflowImpl;
import dev.vigil.workflows.backup.SpoolActivities;
import dev.vigil.workflows.backup.UploadRequest;
import dev.vigil.workflows.backup.UploadResult;
import dev.vigil.workflows.backup.VerifyDumpRequest;
import dev.vigil.workflows.backup.VerifyDumpResult;
import dev.vigil.workflows.common.TaskQueues;
import dev.vigil.workflows.drill.DrillComponent;
import dev.vigil.workflows.drill.DrillReport;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis through the real pipeline: a real redis-server (its own, on a free port) backed up with
 * PostgreSQL and a directory in one plan (redis-cli --rdb, redis-check-rdb, zstd, encryption,
 * S3Mock, catalog), restored by {@code RestoreWorkflow} into a fresh redis-server and into a
 * directory, drilled with the other sources, and refused when the snapshot is damaged or the
 * password wrong.
 */
class RedisPipelineIT {
  private static final AtomicLong CLOCK = new AtomicLong(1_850_000_000_000L);

  @TempDir static Path dir;

  private static PipelineHarness harness;
  private static RedisFixture redis;
  private static PlanResult backup;

  @BeforeAll
  static void backUpOnce() throws Exception {
    harness = new PipelineHarness(dir);
    redis = RedisFixture.start();
    redis.fill(0, "user:", 2000);
    redis.fill(5, "session:", 40);
    redis.command(0, "SADD", "config:flags", "a", "b", "c");
    backup = harness.run(harness.load(config(redis.passwordFile())), List.of());
    // Keys written after the backup must not show up in a restore of it.
    redis.fill(0, "later:", 10);
  }

  @AfterAll
  static void tearDown() {
    harness.close();
    redis.close();
  }

  private static String config(Path passwordFile) {
    return harness.config()
        + """
          cache:
            type: redis
            host: 127.0.0.1
            port: %d
            password-file: %s
            validations:
              - name: flags
                query: "SCARD config:flags"
                expect: "= 3"
              - name: sessions
                query: "db5: DBSIZE"
                expect: ">= 40"
        """
            .formatted(redis.port(), passwordFile);
  }

  @Test
  void aPlanBacksUpRedisWithTheOtherSourcesAndRecordsItsKeys() throws Exception {
    assertThat(backup.complete()).isTrue();
    SourceBackupResult cache = resultOf(backup, "cache");
    assertThat(cache.status()).isEqualTo("ARCHIVED");
    assertThat(cache.source().type()).isEqualTo("redis");
    BackupRecord record =
        harness.services(harness.load(config(redis.passwordFile()))).catalog().list(null).stream()
            .filter(row -> row.backupId().equals(cache.backupId()))
            .findFirst()
            .orElseThrow();
    assertThat(record.format()).isEqualTo("redis-rdb");
    JsonNode manifest;
    try (InputStream in =
        harness.s3.client().getObject(b -> b.bucket(harness.bucket).key(cache.manifestKey()))) {
      manifest = Json.MAPPER.readTree(in);
    }
    JsonNode keys = manifest.path("redis").path("keys");
    assertThat(keys.path("0").path("keys").asLong()).isEqualTo(2001);
    assertThat(keys.path("5").path("keys").asLong()).isEqualTo(40);
    assertThat(manifest.path("redis").path("keysInFile").asLong()).isEqualTo(2041);
    assertThat(manifest.path("redis").path("redisVersion").asText()).startsWith("7.");
  }

  @Test
  void restoreIntoAFreshServerHoldsTheSnapshotAndValidates() throws Exception {
    try (Worker running = new Worker()) {
      RestoreResult result =
          running.restore(new RestoreTarget("fresh-cluster", null, 0, null, null, null, null));

      assertThat(result.status()).isEqualTo("RESTORED");
      assertThat(result.target().type()).isEqualTo("fresh-server");
      assertThat(result.target().host()).isEqualTo("127.0.0.1");
      assertThat(result.target().port()).isNotEqualTo(redis.port());
      assertThat(result.validation().passed()).isTrue();
      assertThat(result.validation().checks())
          .contains(
              "db0: 2001 keys as recorded",
              "db5: 40 keys as recorded",
              "all 2041 keys of the RDB accounted for (2041 loaded, 0 expired)",
              "flags: SCARD config:flags = 3 (expected = 3)",
              "sessions: DBSIZE = 40 (expected >= 40)");
      var restored =
          new dev.vigil.activities.source.redis.RedisCli(
              "restored", "127.0.0.1", result.target().port(), null, null, false);
      assertThat(restored.run(0, "GET", "user:1999").strip()).isEqualTo("value-1999");
      assertThat(restored.run(0, "EXISTS", "later:1").strip()).isEqualTo("0");
      String restoreId = running.lastRestoreId;
      FreshRedisServers.shared().stop(restoreId);
      assertThat(listening(result.target().port())).isFalse();
    }
  }

  @Test
  void restoreIntoADirectoryLeavesOnlyDumpRdb() throws Exception {
    Path target = dir.resolve("restored-cache");
    try (Worker running = new Worker()) {
      RestoreResult result = running.restore(RestoreTarget.directory(target.toString()));

      assertThat(result.status()).isEqualTo("RESTORED");
      assertThat(result.validation().checks())
          .containsExactly("dump.rdb: redis-check-rdb passes, 2041 keys as recorded");
    }
    try (Stream<Path> files = Files.list(target)) {
      assertThat(files.map(path -> path.getFileName().toString())).containsExactly("dump.rdb");
    }
  }

  @Test
  void aDrillRestoresRedisBesidePostgresAndTheDirectoryAndStopsItsServer() throws Exception {
    try (Worker running = new Worker()) {
      DrillClient drills =
          new DrillClient(
              running.environment.getWorkflowClient(),
              running.services.config().temporal().taskQueue());
      String drillId = drills.start("default", CLOCK.addAndGet(1000), "test");
      DrillReport report = drills.await(drillId);

      assertThat(report.failures()).isEmpty();
      assertThat(report.status()).isEqualTo(DrillReport.PASSED);
      assertThat(report.components())
          .extracting(DrillComponent::source)
          .containsExactlyInAnyOrder("appdb", "models", "cache");
      DrillComponent cache =
          report.components().stream().filter(c -> c.source().equals("cache")).findFirst().get();
      assertThat(cache.passed()).isTrue();
      assertThat(cache.checks()).contains("db0: 2001 keys as recorded", "db5: 40 keys as recorded");
      assertThat(FreshRedisServers.shared().find(drillId + "-restore-cache"))
          .as("the drill's redis-server is stopped")
          .isEmpty();
    }
  }

  @Test
  void aDamagedSnapshotIsDumpInvalidAndNothingIsArchived() throws Exception {
    VigilConfig config = harness.load(config(redis.passwordFile()));
    TestWorkflowEnvironment environment =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    try (VigilServices services = new VigilServices(config, PipelineHarness.ENVIRONMENT_WITH_S3)) {
      services.catalog().migrate();
      dev.vigil.worker.SearchAttributeRegistration.register(
          environment.getWorkflowServiceStubs(), environment.getNamespace());
      WorkerFactory factory = WorkerFactory.newInstance(environment.getWorkflowClient());
      String queue = config.temporal().taskQueue();
      io.temporal.worker.Worker shared = factory.newWorker(queue);
      shared.registerWorkflowImplementationTypes(
          BackupPlanWorkflowImpl.class, SourceBackupWorkflowImpl.class);
      shared.registerActivitiesImplementations(new BackupActivitiesImpl(services));
      factory
          .newWorker(TaskQueues.host(queue, config.worker().hostId()))
          .registerActivitiesImplementations(
              new CorruptingSpool(new SpoolActivitiesImpl(services), services));
      factory.start();
      BackupClient client = new BackupClient(environment.getWorkflowClient(), queue);
      long before = services.catalog().list(null).stream().filter(this::archivedCache).count();

      PlanResult result =
          client.await(client.start("test", List.of("cache"), CLOCK.addAndGet(1000), "test"));

      SourceBackupResult cache = resultOf(result, "cache");
      assertThat(cache.status()).isEqualTo("FAILED");
      assertThat(cache.failureType()).isEqualTo("DUMP_INVALID");
      assertThat(cache.failure())
          .contains("is not a valid RDB: redis-check-rdb says")
          .doesNotContain("\n");
      assertThat(cache.objectKey()).isNull();
      assertThat(services.catalog().list(null).stream().filter(this::archivedCache).count())
          .isEqualTo(before);
      assertThat(
              harness
                  .s3
                  .client()
                  .listObjectsV2(b -> b.bucket(harness.bucket).prefix("cache/" + cache.backupId()))
                  .contents())
          .isEmpty();
    } finally {
      environment.close();
    }
  }

  @Test
  void aWrongPasswordFailsTheSourceInOneLineAndStaysOutOfHistory() throws Exception {
    Path wrong = dir.resolve("wrong-password");
    String secret = "wrong-" + redis.password().substring(3, 12);
    Files.writeString(wrong, secret);
    BackupClient client = harness.startWorker(harness.load(config(wrong)));
    String id = client.start("test", List.of("cache"), CLOCK.addAndGet(1000), "test");
    PlanResult result = client.await(id);

    SourceBackupResult cache = resultOf(result, "cache");
    assertThat(cache.failureType()).isEqualTo("AUTHENTICATION_FAILED");
    assertThat(cache.failure())
        .endsWith(
            "source 'cache': Redis at 127.0.0.1:"
                + redis.port()
                + " refused the credentials; check the source's user and password")
        .doesNotContain("\n");
    assertThat(harness.history(id)).doesNotContain(secret).doesNotContain(redis.password());
    harness.close();
  }

  private boolean archivedCache(BackupRecord record) {
    return record.source().equals("cache") && "ARCHIVED".equals(record.status());
  }

  private static SourceBackupResult resultOf(PlanResult plan, String source) {
    return plan.results().stream()
        .filter(result -> result.source().name().equals(source))
        .findFirst()
        .orElseThrow();
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  /** A worker on the backup's config (the real one, all activities), for restores and drills. */
  private static final class Worker implements AutoCloseable {
    final TestWorkflowEnvironment environment =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    final VigilServices services;
    final dev.vigil.worker.VigilWorker worker;
    String lastRestoreId;

    Worker() throws IOException {
      services =
          new VigilServices(
              harness.load(config(redis.passwordFile())), PipelineHarness.ENVIRONMENT_WITH_S3);
      worker = dev.vigil.worker.VigilWorker.start(environment.getWorkflowClient(), services);
    }

    RestoreResult restore(RestoreTarget target) {
      RestoreClient client =
          new RestoreClient(
              environment.getWorkflowClient(), services.config().temporal().taskQueue());
      lastRestoreId =
          client.start(
              new RestoreRequest(
                  new RestoreSelector("cache", resultOf(backup, "cache").backupId(), 0),
                  target,
                  false,
                  1,
                  "redis-it"),
              CLOCK.addAndGet(1000));
      return client.await(lastRestoreId);
    }

    @Override
    public void close() {
      worker.close();
      services.close();
      environment.close();
    }
  }

  /** The real spool steps, with the RDB's bytes flipped on disk between dump and verify. */
  private record CorruptingSpool(SpoolActivities real, VigilServices services)
      implements SpoolActivities {
    @Override
    public DumpResult dump(DumpRequest request) {
      return real.dump(request);
    }

    @Override
    public VerifyDumpResult verifyDump(VerifyDumpRequest request) {
      Path rdb = services.spool().dir(request.dump().backupId()).resolve("dump.rdb");
      try (RandomAccessFile file = new RandomAccessFile(rdb.toFile(), "rw")) {
        long middle = file.length() / 2;
        file.seek(middle);
        int value = file.read();
        file.seek(middle);
        file.write(~value & 0xff);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return real.verifyDump(request);
    }

    @Override
    public SealResult seal(SealRequest request) {
      return real.seal(request);
    }

    @Override
    public UploadResult upload(UploadRequest request) {
      return real.upload(request);
    }

    @Override
    public void cleanSpool(String backupId) {
      real.cleanSpool(backupId);
    }
  }
}
