package dev.vigil.infra.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.catalog.PostgresCatalog;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.testing.Await;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.activities.testing.ProcessSignals;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.infra.embedded.EmbeddedTemporal;
import dev.vigil.starter.BackupClient;
import dev.vigil.starter.RestoreClient;
import dev.vigil.worker.SearchAttributeRegistration;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real worker JVM killed with SIGKILL in the middle of an upload, on Temporal's test server (the
 * embedded stack's Temporal): a second worker JVM with the same host id finishes the run. Before
 * sticky execution could be turned off, the run's next workflow task stayed on the dead worker's
 * sticky queue for ever.
 */
class WorkerKillIT {
  private static final String TASK_QUEUE = "vigil-crash";
  private static final String HOST_ID = "crash-host";
  private static final String KEY_ENV = "VIGIL_CRASH_KEY";

  @TempDir Path dir;

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aWorkerKilledMidUploadIsReplacedAndTheRunCompletesArchived() throws Exception {
    PostgresFixture postgres = PostgresFixture.get();
    S3MockFixture s3 = S3MockFixture.get();
    String catalogDb = postgres.createDatabase();
    String bucket = s3.newBucket("crash");
    Path spool = Files.createDirectories(dir.resolve("spool"));
    // Random bytes do not compress: 64 MiB make 13 parts, a few seconds of upload.
    writeRandom(Files.createDirectories(dir.resolve("models/checkpoint-1")).resolve("w.bin"), 64);

    List<Process> workers = new ArrayList<>();
    EmbeddedTemporal temporal = EmbeddedTemporal.start();
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
    try {
      Path config = dir.resolve("vigil.yaml");
      Files.writeString(
          config, config(temporal.target(), postgres, catalogDb, s3, bucket, spool, MODELS));
      workers.add(startWorker(config, 1));

      // What the worker does at start; done here too so the run can start while it still starts.
      SearchAttributeRegistration.register(stubs, "default");
      WorkflowClient client = WorkflowClient.newInstance(stubs);
      BackupClient backups = new BackupClient(client, TASK_QUEUE);
      long at = System.currentTimeMillis();
      String planId = backups.start("crash", List.of("models"), at, "test");
      String timestamp = planId.substring("backup-set-crash-".length());
      String backupId = "models-" + timestamp;
      String childId = "backup-models-" + timestamp;

      // Kill once the upload has sent at least one part and Temporal holds its heartbeat.
      awaitUploadHeartbeat(stubs, childId, workers.get(0), dir.resolve("worker-1.log"));
      Process first = workers.get(0);
      first.destroyForcibly();
      assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(first.exitValue()).as("killed by SIGKILL (128 + 9)").isEqualTo(137);
      assertThat(Files.exists(spool.resolve(backupId).resolve("data.vgl")))
          .as("the sealed file the killed worker was uploading")
          .isTrue();

      workers.add(startWorker(config, 2));
      PlanResult result =
          client.newUntypedWorkflowStub(planId).getResult(150, TimeUnit.SECONDS, PlanResult.class);

      SourceBackupResult models = result.results().get(0);
      assertThat(models.status()).isEqualTo("ARCHIVED");
      PostgresCatalog catalog =
          PostgresCatalog.create(postgres.catalogConfig(catalogDb), postgres.password());
      List<BackupRecord> rows = catalog.list("models");
      assertThat(rows).extracting(BackupRecord::backupId).containsExactly(backupId);
      BackupRecord row = rows.get(0);
      assertThat(row.status()).isEqualTo("ARCHIVED");
      assertThat(models.steps()).extracting(s -> s.step()).contains("verify-upload");
      // The stored object is exactly the sealed file the catalog describes.
      assertThat(sha256(s3.client(), bucket, row.objectKey())).isEqualTo(row.sha256());
      try (Stream<Path> left = Files.list(spool)) {
        assertThat(left).as("the host's spool after the run").isEmpty();
      }
      assertThat(keys(s3.client(), bucket))
          .containsExactlyInAnyOrder(
              row.objectKey(), row.manifestKey(), "vigil/sets/crash-" + timestamp + ".json");
      assertThat(s3.client().listMultipartUploads(r -> r.bucket(bucket)).uploads())
          .as("incomplete multipart uploads")
          .isEmpty();
    } finally {
      for (Process worker : workers) {
        worker.destroyForcibly();
        worker.waitFor(10, TimeUnit.SECONDS);
      }
      stubs.shutdownNow();
      temporal.close();
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void aWorkerKilledMidStreamedDumpArchivesNothingUntilTheRetriedDumpCompletes() throws Exception {
    PostgresFixture postgres = PostgresFixture.get();
    S3MockFixture s3 = S3MockFixture.get();
    String catalogDb = postgres.createDatabase();
    String sourceDb = postgres.createDatabase();
    // About 60 MB of random hex (2:1 compressible): a sealed stream of several 5 MiB parts.
    postgres.createRandomHexTable(sourceDb, "messages", 300_000);
    String bucket = s3.newBucket("crash");
    Path spool = Files.createDirectories(dir.resolve("spool"));
    String appdb = appdbSource(postgres, sourceDb);

    List<Process> workers = new ArrayList<>();
    EmbeddedTemporal temporal = EmbeddedTemporal.start();
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
    try {
      Path config = dir.resolve("vigil.yaml");
      Files.writeString(
          config, config(temporal.target(), postgres, catalogDb, s3, bucket, spool, appdb));
      workers.add(startWorker(config, 1));
      SearchAttributeRegistration.register(stubs, "default");
      WorkflowClient client = WorkflowClient.newInstance(stubs);
      String planId =
          new BackupClient(client, TASK_QUEUE)
              .start("crash", List.of("appdb"), System.currentTimeMillis(), "test");
      String backupId = "appdb-" + planId.substring("backup-set-crash-".length());

      // Kill while the dump streams and has sent parts of its sealed stream: pg_dump runs in
      // 5 ms slices until the stream's first part is ready, then stays paused until that part is
      // in the store.
      Process first = workers.get(0);
      String dataKey = "vigil/appdb/" + backupId + "/" + Spool.SEALED;
      // The dump itself, not a `pg_dump --version`.
      ProcessHandle pgDump = awaitChild(first, "/pg_dump", "--snapshot=");
      ProcessSignals.stepUntil(pgDump, () -> hasUpload(s3.client(), bucket, dataKey), 90);
      String staleUpload = onlyOpenUpload(s3.client(), bucket, dataKey);
      awaitStoredPart(s3.client(), bucket, dataKey, staleUpload);
      first.destroyForcibly();
      assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
      ProcessSignals.signal("KILL", pgDump);
      assertThat(Files.exists(spool.resolve(backupId).resolve(Spool.SEALED)))
          .as("no complete sealed file from the killed dump")
          .isFalse();
      PostgresCatalog catalog =
          PostgresCatalog.create(postgres.catalogConfig(catalogDb), postgres.password());
      assertThat(catalog.list("appdb"))
          .extracting(BackupRecord::status)
          .as("nothing archived by the killed worker")
          .containsExactly("RUNNING");

      workers.add(startWorker(config, 2));
      PlanResult result =
          client.newUntypedWorkflowStub(planId).getResult(200, TimeUnit.SECONDS, PlanResult.class);

      assertThat(result.results().get(0).status()).isEqualTo("ARCHIVED");
      BackupRecord row = catalog.list("appdb").get(0);
      assertThat(catalog.list("appdb")).hasSize(1);
      assertThat(row.status()).isEqualTo("ARCHIVED");
      assertThat(sha256(s3.client(), bucket, row.objectKey())).isEqualTo(row.sha256());
      try (Stream<Path> left = Files.list(spool)) {
        assertThat(left).as("the host's spool after the run").isEmpty();
      }
      // The stale parts were aborted, not completed: the object decrypts whole (every AEAD
      // segment is bound to one stream) into an archive pg_restore reads.
      assertThat(s3.client().listMultipartUploads(r -> r.bucket(bucket)).uploads())
          .as("incomplete multipart uploads")
          .isEmpty();
      try (InputStream in = s3.client().getObject(r -> r.bucket(bucket).key(row.objectKey()))) {
        assertDecryptsToTheMessagesDump(in, backupId);
      }
    } finally {
      for (Process worker : workers) {
        worker.destroyForcibly();
        worker.waitFor(10, TimeUnit.SECONDS);
      }
      stubs.shutdownNow();
      temporal.close();
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void aWorkerKilledMidStreamedDumpIntoAFilesystemRepositoryLeavesNoVisibleObject()
      throws Exception {
    PostgresFixture postgres = PostgresFixture.get();
    S3MockFixture s3 = S3MockFixture.get();
    String catalogDb = postgres.createDatabase();
    String sourceDb = postgres.createDatabase();
    // About 200 MB of random hex (2:1 compressible): a sealed stream of several 16 MiB parts, so
    // pg_dump is still writing (held back by the pipe) when the sealed file holds more than one,
    // however much the multi-threaded compressor holds back.
    postgres.createRandomHexTable(sourceDb, "messages", 1_000_000);
    Path repository = Files.createDirectories(dir.resolve("backup-disk"));
    Path spool = Files.createDirectories(dir.resolve("spool"));
    String appdb = appdbSource(postgres, sourceDb);

    List<Process> workers = new ArrayList<>();
    EmbeddedTemporal temporal = EmbeddedTemporal.start();
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
    try {
      String yaml = config(temporal.target(), postgres, catalogDb, s3, "unused", spool, appdb);
      Path config = dir.resolve("vigil.yaml");
      Files.writeString(
          config,
          yaml.substring(0, yaml.indexOf("  main:\n"))
              + "  main:\n    type: filesystem\n    path: "
              + repository
              + "\n"
              + yaml.substring(yaml.indexOf("encryption:")));
      workers.add(startWorker(config, 1));
      SearchAttributeRegistration.register(stubs, "default");
      WorkflowClient client = WorkflowClient.newInstance(stubs);
      String planId =
          new BackupClient(client, TASK_QUEUE)
              .start("crash", List.of("appdb"), System.currentTimeMillis(), "test");
      String backupId = "appdb-" + planId.substring("backup-set-crash-".length());
      Path object = repository.resolve("appdb").resolve(backupId).resolve(Spool.SEALED);

      // Kill while the dump streams and has copied a whole 16 MiB part into the hidden partial
      // file: pg_dump runs in 5 ms slices until the sealed spool file holds more than a part, then
      // stays paused while the copier copies it.
      Process first = workers.get(0);
      ProcessHandle pgDump = awaitChild(first, "/pg_dump", "--snapshot=");
      Path sealing = spool.resolve(backupId).resolve(Spool.SEALED + ".partial");
      try {
        ProcessSignals.stepUntil(pgDump, () -> sealing.toFile().length() > 17L << 20, 90);
        Await.until(
            Duration.ofSeconds(60),
            () -> partialBytes(object) >= 16L << 20,
            "a whole part copied into the repository");
      } catch (AssertionError e) {
        throw new AssertionError(
            e.getMessage() + "; worker log:\n" + Files.readString(dir.resolve("worker-1.log")), e);
      }
      first.destroyForcibly();
      assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
      ProcessSignals.signal("KILL", pgDump);
      assertThat(object).as("the object, before any upload step ran").doesNotExist();
      assertThat(partials(repository)).as("the killed dump's partial file").hasSize(1);
      PostgresCatalog catalog =
          PostgresCatalog.create(postgres.catalogConfig(catalogDb), postgres.password());
      assertThat(catalog.list("appdb"))
          .extracting(BackupRecord::status)
          .as("nothing archived by the killed worker")
          .containsExactly("RUNNING");

      workers.add(startWorker(config, 2));
      PlanResult result =
          client.newUntypedWorkflowStub(planId).getResult(200, TimeUnit.SECONDS, PlanResult.class);

      assertThat(result.results().get(0).status()).isEqualTo("ARCHIVED");
      BackupRecord row = catalog.list("appdb").get(0);
      assertThat(row.status()).isEqualTo("ARCHIVED");
      assertThat(repository.resolve(row.objectKey())).isEqualTo(object);
      try (InputStream in = Files.newInputStream(object)) {
        assertThat(Digests.sha256Hex(in)).isEqualTo(row.sha256());
      }
      assertThat(partials(repository)).as("partial files after the run").isEmpty();
      try (InputStream in = Files.newInputStream(object)) {
        assertDecryptsToTheMessagesDump(in, backupId);
      }
    } finally {
      for (Process worker : workers) {
        worker.destroyForcibly();
        worker.waitFor(10, TimeUnit.SECONDS);
      }
      stubs.shutdownNow();
      temporal.close();
    }
  }

  /**
   * Decrypts a stored dump of {@code appdb} whole (every AEAD segment is bound to one stream) into
   * an archive whose table of contents pg_restore reads, with the messages table's data.
   */
  private void assertDecryptsToTheMessagesDump(InputStream stored, String backupId)
      throws Exception {
    Path restored = dir.resolve("restored.pgc");
    try (OutputStream out = Files.newOutputStream(restored)) {
      new Sealer(EncryptionKey.of(key(), null))
          .unseal(stored, out, SpoolActivitiesImpl.aeadContext(backupId, "appdb"));
    }
    Process list =
        new ProcessBuilder("/usr/lib/postgresql/15/bin/pg_restore", "--list", restored.toString())
            .redirectErrorStream(true)
            .start();
    String toc = new String(list.getInputStream().readAllBytes());
    assertThat(list.waitFor()).as(toc).isZero();
    assertThat(toc).contains("TABLE DATA public messages");
  }

  /** The partial files (uploads in progress) of a filesystem repository. */
  private static List<Path> partials(Path repository) throws IOException {
    try (Stream<Path> files = Files.walk(repository)) {
      return files.filter(p -> p.getFileName().toString().contains(".vigil-partial-")).toList();
    }
  }

  /** Bytes in the partial files of {@code object}'s upload (0 while there is none). */
  private static long partialBytes(Path object) {
    try (Stream<Path> files = Files.list(object.getParent())) {
      return files
          .filter(
              p -> p.getFileName().toString().startsWith(object.getFileName() + ".vigil-partial-"))
          .mapToLong(p -> p.toFile().length())
          .sum();
    } catch (IOException e) {
      return 0; // its directory does not exist yet
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void aWorkerKilledWhileItLoadsARestoreDuringTheDownloadLeavesNothingTheRetryDoesNotReplace()
      throws Exception {
    PostgresFixture postgres = PostgresFixture.get();
    S3MockFixture s3 = S3MockFixture.get();
    String catalogDb = postgres.createDatabase();
    String sourceDb = postgres.createDatabase();
    postgres.execute(
        sourceDb,
        "CREATE TABLE messages (id bigint PRIMARY KEY, body text)",
        "INSERT INTO messages SELECT g, md5(random()::text) || md5(random()::text) ||"
            + " md5(random()::text) FROM generate_series(1, 200000) g");
    String bucket = s3.newBucket("crash");
    Path spool = Files.createDirectories(dir.resolve("spool"));
    String appdb = appdbSource(postgres, sourceDb);
    String target = "killed_load_" + ProcessHandle.current().pid();

    List<Process> workers = new ArrayList<>();
    EmbeddedTemporal temporal = EmbeddedTemporal.start();
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.target()).build());
    try {
      Path config = dir.resolve("vigil.yaml");
      Files.writeString(
          config, config(temporal.target(), postgres, catalogDb, s3, bucket, spool, appdb));
      workers.add(startWorker(config, 1));
      SearchAttributeRegistration.register(stubs, "default");
      WorkflowClient client = WorkflowClient.newInstance(stubs);
      String planId =
          new BackupClient(client, TASK_QUEUE)
              .start("crash", List.of("appdb"), System.currentTimeMillis(), "test");
      PlanResult backup =
          client.newUntypedWorkflowStub(planId).getResult(120, TimeUnit.SECONDS, PlanResult.class);
      assertThat(backup.results().get(0).status()).isEqualTo("ARCHIVED");

      RestoreClient restores = new RestoreClient(client, TASK_QUEUE);
      String restoreId =
          restores.start(
              new RestoreRequest(
                  RestoreSelector.latest("appdb"), RestoreTarget.database(target), false, 2, "it"),
              System.currentTimeMillis());
      // Catch the load with rows on their way into the new database, then kill the worker.
      Process first = workers.get(0);
      ProcessHandle load = awaitChild(first, "/pg_restore", "--section=data");
      ProcessSignals.stepUntil(
          load,
          () ->
              postgres.queryLong(
                      "postgres",
                      "SELECT count(*) FROM pg_stat_progress_copy WHERE datname = '"
                          + target
                          + "' AND tuples_processed > 0")
                  > 0,
          90);
      first.destroyForcibly();
      assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(first.exitValue()).as("killed by SIGKILL (128 + 9)").isEqualTo(137);
      // pg_restore, orphaned, reads the end of its pipe and gives up: no row is committed.
      ProcessSignals.signal("CONT", load);
      assertThat(load.onExit().get(10, TimeUnit.SECONDS).isAlive()).isFalse();
      assertThat(postgres.queryLong(target, "SELECT count(*) FROM messages")).isZero();
      assertThat(spool.resolve(restoreId).resolve("load.started"))
          .as("the mark the next attempt finds")
          .exists();

      workers.add(startWorker(config, 2));
      RestoreResult result = restores.await(restoreId);

      assertThat(result.status()).as(result.failure()).isEqualTo("RESTORED");
      assertThat(result.validation().checks())
          .contains("row counts: all 1 tables, 200000 rows, as recorded");
      assertThat(postgres.queryLong(target, "SELECT count(*) FROM messages")).isEqualTo(200000);
      assertThat(
              postgres.queryLong(
                  target, "SELECT count(*) FROM pg_indexes WHERE indexname = 'messages_pkey'"))
          .isEqualTo(1);
      assertThat(postgres.queryLong(sourceDb, "SELECT sum(hashtext(body)::bigint) FROM messages"))
          .isEqualTo(
              postgres.queryLong(target, "SELECT sum(hashtext(body)::bigint) FROM messages"));
    } finally {
      for (Process worker : workers) {
        worker.destroyForcibly();
        worker.waitFor(10, TimeUnit.SECONDS);
      }
      stubs.shutdownNow();
      temporal.close();
    }
  }

  /** The worker's child process whose command ends with {@code command} and names {@code arg}. */
  private static ProcessHandle awaitChild(Process worker, String command, String arg)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      List<ProcessHandle> found =
          worker
              .descendants()
              .filter(p -> p.info().command().orElse("").endsWith(command))
              .filter(p -> p.info().commandLine().orElse("").contains(arg))
              .toList();
      if (!found.isEmpty()) {
        return found.get(0);
      }
      Thread.sleep(2);
    }
    throw new AssertionError(command + " " + arg + " never ran");
  }

  private static boolean hasUpload(S3Client client, String bucket, String key) {
    return client.listMultipartUploads(r -> r.bucket(bucket)).uploads().stream()
        .anyMatch(u -> u.key().equals(key));
  }

  private static String onlyOpenUpload(S3Client client, String bucket, String key) {
    List<String> ids =
        client.listMultipartUploads(r -> r.bucket(bucket)).uploads().stream()
            .filter(u -> u.key().equals(key))
            .map(u -> u.uploadId())
            .toList();
    assertThat(ids).hasSize(1);
    return ids.get(0);
  }

  private static void awaitStoredPart(S3Client client, String bucket, String key, String uploadId)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!client.listParts(r -> r.bucket(bucket).key(key).uploadId(uploadId)).parts().isEmpty()) {
        return;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("no part of " + key + " stored while pg_dump ran");
  }

  private Process startWorker(Path config, int number) throws IOException {
    String classPath = System.getProperty("surefire.test.class.path");
    if (classPath == null || classPath.isBlank()) {
      classPath = System.getProperty("java.class.path");
    }
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    ProcessBuilder builder =
        new ProcessBuilder(
            java.toString(),
            "-Xmx384m",
            "-cp",
            classPath,
            "dev.vigil.infra.cli.VigilMain",
            "worker",
            "--config",
            config.toString());
    builder.environment().put(KEY_ENV, Base64.getEncoder().encodeToString(key()));
    builder.environment().put("AWS_TEST_ID", "test");
    builder.environment().put("AWS_TEST_SECRET", "test-secret");
    builder.redirectErrorStream(true);
    builder.redirectOutput(dir.resolve("worker-" + number + ".log").toFile());
    return builder.start();
  }

  /** Waits until the backup's Upload activity is running and Temporal has one heartbeat of it. */
  private static void awaitUploadHeartbeat(
      WorkflowServiceStubs stubs, String workflowId, Process worker, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (!worker.isAlive()) {
        throw new AssertionError("the worker exited early:\n" + Files.readString(log));
      }
      try {
        List<PendingActivityInfo> pending =
            stubs
                .blockingStub()
                .describeWorkflowExecution(
                    DescribeWorkflowExecutionRequest.newBuilder()
                        .setNamespace("default")
                        .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
                        .build())
                .getPendingActivitiesList();
        if (pending.stream()
            .anyMatch(
                a -> a.getActivityType().getName().equals("Upload") && a.hasHeartbeatDetails())) {
          return;
        }
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
          throw e;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the upload never started:\n" + Files.readString(log));
  }

  private static String config(
      String temporalTarget,
      PostgresFixture postgres,
      String catalogDb,
      S3MockFixture s3,
      String bucket,
      Path spool,
      String sources) {
    return """
        temporal:
          target: %s
          task-queue: %s
        worker:
          host-id: %s
          spool-dir: %s
          sticky-execution: false
        metrics:
          port: 0
        catalog:
          jdbc-url: %s
          user: %s
          password-file: %s
        repositories:
          main:
            endpoint: %s
            bucket: %s
            prefix: vigil
            path-style-access: true
            part-size: 5MiB
            access-key-id-env: AWS_TEST_ID
            secret-access-key-env: AWS_TEST_SECRET
        encryption:
          key-env: %s
        sources:
        """
            .formatted(
                temporalTarget,
                TASK_QUEUE,
                HOST_ID,
                spool,
                postgres.cluster().jdbcUrl(catalogDb),
                postgres.superuser(),
                postgres.passwordFile(),
                s3.endpoint(),
                bucket,
                KEY_ENV)
        + sources;
  }

  /** The {@code appdb} source: {@code database} in the test cluster, as its superuser. */
  private static String appdbSource(PostgresFixture postgres, String database) {
    return """
          appdb:
            type: postgres
            host: 127.0.0.1
            port: %d
            database: %s
            user: %s
            password-file: %s
        """
        .formatted(
            postgres.cluster().port(), database, postgres.superuser(), postgres.passwordFile());
  }

  private static final String MODELS =
      """
        models:
          type: directory
          kind: model
          path: models
      """;

  private static List<String> keys(S3Client client, String bucket) {
    return client.listObjectsV2Paginator(r -> r.bucket(bucket)).contents().stream()
        .map(S3Object::key)
        .toList();
  }

  private static String sha256(S3Client client, String bucket, String key) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    try (InputStream in =
        new DigestInputStream(client.getObject(r -> r.bucket(bucket).key(key)), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static void writeRandom(Path file, int mebibytes) throws IOException {
    Random random = new Random(9);
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int i = 0; i < mebibytes; i++) {
        random.nextBytes(chunk);
        out.write(chunk);
      }
    }
  }

  private static byte[] key() {
    byte[] key = new byte[32];
    new Random(17).nextBytes(key);
    return key;
  }
}
