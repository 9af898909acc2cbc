package dev.vigil.infra.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.vigil.activities.VigilServices;
import dev.vigil.activities.config.ConfigException;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.activities.embedded.PostgresCluster;
import dev.vigil.activities.embedded.S3MockServer;
import dev.vigil.activities.store.ObjectAttributes;
import dev.vigil.infra.api.ApiSettings;
import dev.vigil.infra.cli.CatalogDailyReports;
import dev.vigil.infra.demo.DemoData;
import dev.vigil.starter.BackupClient;
import dev.vigil.starter.DrillClient;
import dev.vigil.starter.api.ApiServer;
import dev.vigil.worker.VigilWorker;
import dev.vigil.worker.WorkerTelemetry;
import dev.vigil.workflows.connection.TemporalStubs;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Vigil's embedded default stack, all on loopback: Temporal's test server, S3Mock (a child
 * process), a throwaway PostgreSQL cluster holding the demo database and the catalog, and a worker.
 * Writes a real vigil.yaml into the work directory and loads it like any other.
 */
public final class EmbeddedStack implements AutoCloseable {
  /** The demo plan's bucket. */
  public static final String BUCKET = "vigil-demo";

  /** The work dir's directory restores may write into ({@code worker.restore-roots}). */
  public static final String RESTORES = "restores";

  /** The HTTP API's operator token (file name under the work dir's secrets/). */
  public static final String OPERATOR_TOKEN_FILE = "api-operator.token";

  /** The HTTP API's viewer token (file name under the work dir's secrets/). */
  public static final String VIEWER_TOKEN_FILE = "api-viewer.token";

  private final Path workDir;
  private final Deque<AutoCloseable> resources;
  private final PostgresCluster postgres;
  private final String postgresPassword;
  private final S3MockServer s3;
  private final VigilConfig config;
  private final WorkflowClient client;
  private final VigilServices services;
  private final VigilWorker worker;

  private EmbeddedStack(
      Path workDir,
      Deque<AutoCloseable> resources,
      PostgresCluster postgres,
      String postgresPassword,
      S3MockServer s3,
      VigilConfig config,
      WorkflowClient client,
      VigilServices services,
      VigilWorker worker) {
    this.workDir = workDir;
    this.resources = resources;
    this.postgres = postgres;
    this.postgresPassword = postgresPassword;
    this.s3 = s3;
    this.config = config;
    this.client = client;
    this.services = services;
    this.worker = worker;
  }

  /** Starts everything under {@code workDir}, seeds the demo data, and starts a worker. */
  public static EmbeddedStack start(Path workDir, PrintStream progress) {
    return start(workDir, progress, null);
  }

  /**
   * Starts everything under {@code workDir} and a worker. With {@code sourcesFrom} null the demo
   * data is seeded and backed up; otherwise the sources of that vigil.yaml are (its repositories,
   * catalog and Temporal settings are replaced by the embedded ones).
   */
  public static EmbeddedStack start(Path workDir, PrintStream progress, Path sourcesFrom) {
    return start(workDir, progress, sourcesFrom, S3MockServer.Jit.QUICK_START);
  }

  /**
   * As {@link #start(Path, PrintStream, Path)}, with S3Mock's JIT set to {@code s3Jit}: {@code
   * vigil up}, a stack that may move gigabytes, takes the fully compiling one.
   */
  public static EmbeddedStack start(
      Path workDir, PrintStream progress, Path sourcesFrom, S3MockServer.Jit s3Jit) {
    Deque<AutoCloseable> resources = new ArrayDeque<>();
    try {
      Files.createDirectories(workDir);
      Path secrets = Files.createDirectories(workDir.resolve("secrets"));
      String password = HexFormat.of().formatHex(random(16));
      Path passwordFile = secret(secrets.resolve("postgres-password"), password.getBytes());
      secret(secrets.resolve("vigil.key"), Base64.getEncoder().encode(random(32)));
      // S3Mock ignores credentials, but a client must sign with some: demo values, by reference.
      secret(secrets.resolve("s3-access-key-id"), "vigil-demo".getBytes());
      secret(
          secrets.resolve("s3-secret-access-key"), HexFormat.of().formatHex(random(20)).getBytes());
      // The HTTP API's bearer tokens (vigil up prints where they are).
      secret(secrets.resolve(OPERATOR_TOKEN_FILE), HexFormat.of().formatHex(random(32)).getBytes());
      secret(secrets.resolve(VIEWER_TOKEN_FILE), HexFormat.of().formatHex(random(32)).getBytes());

      progress.println("starting PostgreSQL (throwaway cluster) ...");
      PostgresCluster postgres =
          PostgresCluster.start(workDir.resolve("postgres"), "vigil", password);
      resources.push(postgres);
      postgres.createDatabase("appdb");
      postgres.createDatabase("vigil_catalog");

      progress.println("starting S3Mock ...");
      S3MockServer s3 =
          S3MockServer.start(
              S3MockServer.locateJar(), workDir.resolve("s3"), List.of(BUCKET), s3Jit);
      resources.push(s3);

      progress.println("starting the Temporal test server ...");
      EmbeddedTemporal temporal = EmbeddedTemporal.start();
      resources.push(temporal);

      String yaml = configYaml(postgres, s3, temporal.target(), workDir, passwordFile, freePort());
      if (sourcesFrom == null) {
        progress.println("seeding sample data ...");
        DemoData.seedDatabase(postgres.jdbcUrl("appdb"), "vigil", password);
        Path data = workDir.resolve("data");
        DemoData.seedModels(data.resolve("models"));
        DemoData.seedDatasets(data.resolve("datasets"));
        DemoData.seedConfig(data.resolve("config"));
      } else {
        yaml = withSources(yaml, sourcesFrom);
      }
      Path configFile = workDir.resolve("vigil.yaml");
      Files.writeString(configFile, yaml);
      VigilConfig config = new ConfigLoader().load(configFile);

      WorkerTelemetry telemetry = WorkerTelemetry.start();
      resources.push(telemetry);
      WorkflowServiceStubs stubs =
          TemporalStubs.open(
              config.temporal().access(),
              System::getenv,
              options -> options.setMetricsScope(telemetry.temporalScope()));
      resources.push(stubs::shutdown);
      WorkflowClient client = WorkflowClient.newInstance(stubs);
      VigilServices services = new VigilServices(config, System::getenv);
      resources.push(services);
      warmUp(services, workDir);
      VigilWorker worker =
          VigilWorker.start(client, services, telemetry, new CatalogDailyReports(services));
      resources.push(worker);
      return new EmbeddedStack(
          workDir, resources, postgres, password, s3, config, client, services, worker);
    } catch (IOException e) {
      closeAll(resources);
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      closeAll(resources);
      throw e;
    }
  }

  /** The vigil.yaml of the embedded stack: a complete, real configuration. */
  static String configYaml(
      PostgresCluster postgres,
      S3MockServer s3,
      String temporalTarget,
      Path workDir,
      Path passwordFile,
      int apiPort) {
    return """
        # Written by `vigil demo`: the embedded default stack on loopback.
        temporal:
          target: %s
          namespace: default
          task-queue: vigil
        worker:
          host-id: embedded
          spool-dir: %s
          max-parallel-sources: 2
          # Temporal's test server never moves a task off a dead worker's sticky queue.
          sticky-execution: false
          restore-roots:
            - %s
        metrics:
          bind: 127.0.0.1
          port: %d
        catalog:
          jdbc-url: %s
          user: vigil
          password-file: %s
        repositories:
          demo:
            endpoint: %s
            region: us-east-1
            bucket: %s
            prefix: vigil
            storage-class: STANDARD
            path-style-access: true
            checksum-mode: when-supported
            access-key-id-file: secrets/s3-access-key-id
            secret-access-key-file: secrets/s3-secret-access-key
        encryption:
          key-file: secrets/vigil.key
        sources:
          appdb:
            type: postgres
            host: %s
            port: %d
            database: appdb
            user: vigil
            password-file: %s
            objectives: {rpo: 24h, rto: 1h}
            validations:
              - name: conversations
                query: SELECT count(*) FROM conversations
                expect: "= 100000"
          models:
            type: directory
            kind: model
            path: data/models
            exclude: ["**/*.tmp"]
            objectives: {rpo: 24h, rto: 2h}
          datasets:
            type: directory
            kind: dataset
            path: data/datasets
            objectives: {rpo: 7d, rto: 4h}
          config:
            type: directory
            kind: config
            path: data/config
            objectives: {rpo: 24h, rto: 30m}
        drills:
          quarterly:
            schedule: "0 3 1 1,4,7,10 *"
        api:
          bind: 127.0.0.1
          port: %d
          tokens:
            operator: {role: operator, token-file: secrets/%s}
            viewer: {role: viewer, token-file: secrets/%s}
        """
        .formatted(
            temporalTarget,
            workDir.resolve("spool"),
            workDir.resolve(RESTORES),
            FreePorts.find(),
            postgres.jdbcUrl("vigil_catalog"),
            passwordFile,
            s3.endpoint(),
            BUCKET,
            postgres.host(),
            postgres.port(),
            passwordFile,
            apiPort,
            OPERATOR_TOKEN_FILE,
            VIEWER_TOKEN_FILE);
  }

  /**
   * The embedded config with the {@code sources} of another vigil.yaml; their relative paths are
   * made absolute against that file, and their repository is the embedded one.
   */
  static String withSources(String embeddedYaml, Path sourcesFrom) throws IOException {
    YAMLMapper yaml = new YAMLMapper();
    ObjectNode config = (ObjectNode) yaml.readTree(embeddedYaml);
    JsonNode user = yaml.readTree(sourcesFrom.toFile());
    if (user == null || !(user.get("sources") instanceof ObjectNode sources)) {
      throw new ConfigException(List.of(sourcesFrom + ": sources: missing"));
    }
    Path base = sourcesFrom.toAbsolutePath().getParent();
    sources
        .fields()
        .forEachRemaining(
            entry -> {
              if (entry.getValue() instanceof ObjectNode source) {
                source.remove("repository");
                for (String field : List.of("path", "password-file")) {
                  if (source.hasNonNull(field)) {
                    source.put(
                        field, base.resolve(source.get(field).asText()).normalize().toString());
                  }
                }
              }
            });
    config.set("sources", sources);
    return yaml.writeValueAsString(config);
  }

  /**
   * One small multipart round trip, so the freshly started S3Mock (a JVM) has compiled its hot
   * paths before the first backup, as a long-running store has. Costs about a second at startup.
   */
  private static void warmUp(VigilServices services, Path workDir) throws IOException {
    Path probe = workDir.resolve("warm-up.bin");
    Files.write(probe, new byte[64 * 1024]);
    for (String repository : services.config().repositories().keySet()) {
      var objects = services.store(repository);
      String key = objects.key(".vigil-warm-up");
      objects.uploadFile(probe, key, new ObjectAttributes(null, Map.of(), Map.of()), null, p -> {});
      try (var in = objects.open(key)) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      objects.delete(key);
    }
    Files.delete(probe);
  }

  public Path workDir() {
    return workDir;
  }

  /**
   * Starts the HTTP API on the stack (loopback, the config's port, the operator and viewer tokens
   * in secrets/); it stops with the stack.
   */
  public ApiServer startApi() {
    ApiServer api = ApiServer.start(ApiSettings.from(config));
    resources.push(api);
    return api;
  }

  public VigilConfig config() {
    return config;
  }

  public VigilServices services() {
    return services;
  }

  public WorkflowClient client() {
    return client;
  }

  public BackupClient backups() {
    return new BackupClient(client, config.temporal().taskQueue());
  }

  /** Starts and follows DR drills on the stack's Temporal. */
  public DrillClient drills() {
    return new DrillClient(client, config.temporal().taskQueue());
  }

  public PostgresCluster postgres() {
    return postgres;
  }

  /** The demo cluster's superuser password (tests and the demo only). */
  public String postgresPassword() {
    return postgresPassword;
  }

  /** The stack's worker. */
  public VigilWorker worker() {
    return worker;
  }

  /** The worker's {@code /metrics} and {@code /health/*} endpoint. */
  public String workerEndpoint() {
    return "http://127.0.0.1:" + worker.endpointPort();
  }

  public S3MockServer s3() {
    return s3;
  }

  @Override
  public void close() {
    closeAll(resources);
  }

  private static void closeAll(Deque<AutoCloseable> resources) {
    while (!resources.isEmpty()) {
      try {
        resources.pop().close();
      } catch (Exception e) {
        System.err.println("vigil: while stopping the embedded stack: " + e.getMessage());
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static byte[] random(int bytes) {
    byte[] value = new byte[bytes];
    new SecureRandom().nextBytes(value);
    return value;
  }

  private static Path secret(Path file, byte[] content) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(file, content);
    return file;
  }
}
