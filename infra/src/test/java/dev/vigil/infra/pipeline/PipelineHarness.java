package dev.vigil.infra.pipeline;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.testing.AzuriteFixture;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.infra.cli.CatalogDailyReports;
import dev.vigil.starter.BackupClient;
import dev.vigil.worker.VigilWorker;
import dev.vigil.workflows.backup.PlanResult;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A worker with real activities (PostgreSQL, S3Mock, catalog) on Temporal's test environment in
 * real time, configured by a vigil.yaml written per test.
 */
final class PipelineHarness implements AutoCloseable {
  static final String KEY_ENV = "VIGIL_TEST_KEY";

  /** A second key, for key rotation. */
  static final String SECOND_KEY_ENV = "VIGIL_TEST_KEY_2";

  static final Function<String, String> ENVIRONMENT =
      Map.of(
              KEY_ENV,
              Base64.getEncoder().encodeToString(key(11)),
              SECOND_KEY_ENV,
              Base64.getEncoder().encodeToString(key(12)))
          ::get;

  final PostgresFixture postgres;
  final S3MockFixture s3 = S3MockFixture.get();
  final Path dir;
  final String sourceDb;
  final String catalogDb;
  final String bucket;
  final Path spool;
  private TestWorkflowEnvironment environment;
  private VigilServices services;
  private VigilWorker worker;

  PipelineHarness(Path dir) throws IOException {
    this(dir, PostgresFixture.get());
  }

  /** A harness whose databases (source and catalog) live in {@code postgres}. */
  PipelineHarness(Path dir, PostgresFixture postgres) throws IOException {
    this.postgres = postgres;
    this.dir = dir;
    this.sourceDb = postgres.createDatabase();
    this.catalogDb = postgres.createDatabase();
    this.bucket = s3.newBucket("pipeline");
    this.spool = Files.createDirectories(dir.resolve("spool"));
    postgres.execute(
        sourceDb,
        "CREATE TABLE conversations (id bigint PRIMARY KEY, started_at timestamptz NOT NULL, body"
            + " text)",
        "INSERT INTO conversations SELECT g, now() - g * interval '1 minute', 'hello ' || g FROM"
            + " generate_series(1, 5000) g");
    Path models = Files.createDirectories(dir.resolve("models/checkpoint-1"));
    byte[] weights = new byte[800_000];
    new Random(3).nextBytes(weights);
    Files.write(models.resolve("weights.bin"), weights);
  }

  /** The default config: one database, one models directory, the harness's bucket. */
  String config() {
    return config(
        bucket, postgres.cluster().port(), postgres.passwordFile().toString(), "models", spool);
  }

  /**
   * The default config with its S3 repository {@code main} replaced by the directory {@code path}.
   */
  String filesystemConfig(Path path) {
    String yaml = config();
    return yaml.substring(0, yaml.indexOf("  main:\n"))
        + "  main:\n    type: filesystem\n    path: "
        + path
        + "\n"
        + yaml.substring(yaml.indexOf("encryption:"));
  }

  String config(String bucketName, int port, String passwordFile, String modelsDir, Path spoolDir) {
    return """
        catalog:
          jdbc-url: %s
          user: %s
          password-file: %s
        worker:
          host-id: test-host
          spool-dir: %s
          restore-roots: [%s]
        repositories:
          main:
            endpoint: %s
            bucket: %s
            path-style-access: true
            access-key-id-env: AWS_TEST_ID
            secret-access-key-env: AWS_TEST_SECRET
        encryption:
          key-env: %s
        sources:
          appdb:
            type: postgres
            host: 127.0.0.1
            port: %d
            database: %s
            user: %s
            password-file: %s
          models:
            type: directory
            kind: model
            path: %s
        """
        .formatted(
            postgres.cluster().jdbcUrl(catalogDb),
            postgres.superuser(),
            postgres.passwordFile(),
            spoolDir,
            dir,
            s3.endpoint(),
            bucketName,
            KEY_ENV,
            port,
            sourceDb,
            postgres.superuser(),
            passwordFile,
            modelsDir);
  }

  /** Loads {@code yaml} like the worker does. */
  VigilConfig load(String yaml) throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(file, yaml);
    return new ConfigLoader(ENVIRONMENT_WITH_S3).load(file);
  }

  /** The worker's services for {@code config}, without a worker (activity-level tests). */
  VigilServices services(VigilConfig config) {
    services = new VigilServices(config, ENVIRONMENT_WITH_S3);
    services.catalog().migrate();
    return services;
  }

  /** Starts a worker for {@code config} and runs one plan to its end. */
  PlanResult run(VigilConfig config, List<String> sources) {
    BackupClient client = startWorker(config);
    String id = client.start("test", sources, System.currentTimeMillis(), "test");
    return client.await(id);
  }

  /**
   * Like {@link #run}, on a test server that skips time while the plan only waits for a retry (a
   * failed dump is retried 2 s, then 4 s later): the attempts are the same, the waits are not
   * spent. Time never skips while a step runs.
   */
  PlanResult runSkippingRetryWaits(VigilConfig config, List<String> sources) {
    BackupClient client = startWorker(config, true);
    String id = client.start("test", sources, System.currentTimeMillis(), "test");
    return client.await(id);
  }

  /** Starts a worker for {@code config} (after stopping any earlier one); a client for plans. */
  BackupClient startWorker(VigilConfig config) {
    return startWorker(config, false);
  }

  private BackupClient startWorker(VigilConfig config, boolean timeSkipping) {
    close();
    environment =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(timeSkipping).build());
    services = new VigilServices(config, ENVIRONMENT_WITH_S3);
    worker =
        VigilWorker.start(
            environment.getWorkflowClient(), services, null, new CatalogDailyReports(services));
    return new BackupClient(environment.getWorkflowClient(), config.temporal().taskQueue());
  }

  /** The running worker's Temporal client. */
  io.temporal.client.WorkflowClient workflowClient() {
    return environment.getWorkflowClient();
  }

  /** The running worker's services. */
  VigilServices services() {
    return services;
  }

  /**
   * The full history of a workflow as an operator (or the UI) would see it: the JSON plus every
   * payload decoded (payloads are base64 in the JSON, so a plain search would miss them).
   */
  String history(String workflowId) {
    String json = environment.getWorkflowClient().fetchHistory(workflowId).toJson(true);
    StringBuilder decoded = new StringBuilder(json);
    java.util.regex.Matcher data =
        java.util.regex.Pattern.compile("\"data\": \"([^\"]+)\"").matcher(json);
    while (data.find()) {
      String base64 = data.group(1).replace("\\u003d", "=");
      decoded.append('\n').append(new String(Base64.getDecoder().decode(base64)));
    }
    return decoded.toString();
  }

  /**
   * How many attempts activity {@code activityType} of a workflow took: the test server records one
   * started event per activity, carrying the attempt it ended on.
   */
  int attempts(String workflowId, String activityType) {
    List<io.temporal.api.history.v1.HistoryEvent> events =
        environment.getWorkflowClient().fetchHistory(workflowId).getHistory().getEventsList();
    java.util.Set<Long> scheduled = new java.util.HashSet<>();
    int attempts = 0;
    for (var event : events) {
      if (event.hasActivityTaskScheduledEventAttributes()
          && event
              .getActivityTaskScheduledEventAttributes()
              .getActivityType()
              .getName()
              .equals(activityType)) {
        scheduled.add(event.getEventId());
      } else if (event.hasActivityTaskStartedEventAttributes()
          && scheduled.contains(
              event.getActivityTaskStartedEventAttributes().getScheduledEventId())) {
        attempts += event.getActivityTaskStartedEventAttributes().getAttempt();
      }
    }
    return attempts;
  }

  /**
   * The pg_dump of the source database, once it runs (at most 60 s, or until {@code dump}, the
   * activity running it, is done); fails if there is none.
   */
  ProcessHandle awaitPgDump(Future<?> dump) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && !dump.isDone()) {
      List<ProcessHandle> pgDumps =
          ProcessHandle.allProcesses()
              .filter(p -> p.info().command().orElse("").endsWith("/pg_dump"))
              .filter(p -> p.info().commandLine().orElse("").contains(sourceDb))
              .toList();
      if (pgDumps.size() == 1) {
        return pgDumps.get(0);
      }
      Thread.sleep(2);
    }
    throw new AssertionError("no pg_dump of " + sourceDb + " was found running");
  }

  List<BackupRecord> catalog() {
    return services.catalog().list(null);
  }

  @Override
  public void close() {
    if (worker != null) {
      worker.close();
      worker = null;
    }
    if (services != null) {
      services.close();
      services = null;
    }
    if (environment != null) {
      environment.close();
      environment = null;
    }
  }

  static final Function<String, String> ENVIRONMENT_WITH_S3 =
      name ->
          switch (name) {
            case "AWS_TEST_ID" -> "test";
            case "AWS_TEST_SECRET" -> "test-secret";
            case AzuriteFixture.KEY_ENV -> AzuriteFixture.ACCOUNT_KEY;
            default -> ENVIRONMENT.apply(name);
          };

  private static byte[] key(int seed) {
    byte[] key = new byte[32];
    new Random(seed).nextBytes(key);
    return key;
  }
}
