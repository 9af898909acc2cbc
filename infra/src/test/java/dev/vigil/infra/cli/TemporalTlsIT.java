package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.activities.VigilServices;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.infra.api.ApiSettings;
import dev.vigil.starter.api.ApiServer;
import dev.vigil.worker.VigilWorker;
import dev.vigil.worker.WorkerMain;
import dev.vigil.worker.WorkerTelemetry;
import dev.vigil.workflows.connection.TemporalAccessException;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Vigil against Temporal behind real TLS (certificates made by openssl for the run, see {@link
 * TlsTemporal}): a worker connected over mutual TLS runs the backups that the CLI starts over
 * mutual TLS and over TLS with an API key; every misconfiguration ends in one line that names the
 * setting and holds no key.
 */
class TemporalTlsIT {
  @TempDir static Path dir;

  private static TlsTemporal temporal;
  private static WorkerTelemetry telemetry;
  private static VigilServices services;
  private static VigilWorker worker;
  private static String common;
  private static Path repository;

  @BeforeAll
  static void startWorkerOverMutualTls() throws Exception {
    temporal = new TlsTemporal(dir.resolve("pki"));
    PostgresFixture postgres = PostgresFixture.get();
    String catalogDb = postgres.createDatabase();
    Path models = Files.createDirectories(dir.resolve("models/checkpoint-1"));
    byte[] weights = new byte[200_000];
    new Random(5).nextBytes(weights);
    Files.write(models.resolve("weights.bin"), weights);
    repository = Files.createDirectories(dir.resolve("repository"));
    Path key = dir.resolve("vigil.key");
    byte[] keyBytes = new byte[32];
    new Random(7).nextBytes(keyBytes);
    Files.writeString(key, Base64.getEncoder().encodeToString(keyBytes));
    common =
        """
        worker:
          host-id: tls-host
          spool-dir: %s
          sticky-execution: false
        metrics:
          bind: 127.0.0.1
          port: %d
        catalog:
          jdbc-url: %s
          user: %s
          password-file: %s
        repositories:
          main:
            type: filesystem
            path: %s
        encryption:
          key-file: %s
        sources:
          models:
            type: directory
            kind: model
            path: %s
        """
            .formatted(
                Files.createDirectories(dir.resolve("spool")),
                FreePorts.find(),
                postgres.cluster().jdbcUrl(catalogDb),
                postgres.superuser(),
                postgres.passwordFile(),
                repository,
                key,
                dir.resolve("models"));
    VigilConfig config = load(mutualTls(temporal.clientCert, temporal.clientKey), "worker");
    telemetry = WorkerTelemetry.start();
    services = new VigilServices(config, System::getenv);
    worker =
        VigilWorker.start(
            WorkerMain.client(config, telemetry),
            services,
            telemetry,
            new CatalogDailyReports(services));
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
    if (services != null) {
      services.close();
    }
    if (telemetry != null) {
      telemetry.close();
    }
    if (temporal != null) {
      temporal.close();
    }
  }

  @Test
  void cliBacksUpThroughMutualTlsWithTheWorkerOnMutualTls() throws IOException {
    Path config = write(mutualTls(temporal.clientCert, temporal.clientKey), "mtls");

    ReadCommandsIT.Run run = vigilBackup(config, "mtls");

    assertThat(run.exit()).as(run.err() + run.out()).isZero();
    JsonNode result = new ObjectMapper().readTree(run.out());
    assertThat(result.get("status").asText()).isEqualTo("COMPLETE");
    assertThat(Files.walk(repository).filter(Files::isRegularFile).count()).isPositive();
  }

  @Test
  void cliWithAnApiKeyBacksUpOverTlsAndTheKeyReachesTheServerButNoOutput() throws IOException {
    Path keyFile = Files.writeString(dir.resolve("api-key"), TlsTemporal.API_KEY + "\n");
    Path config = write(apiKey(keyFile), "api-key");
    int authorizedBefore = temporal.authorizedCalls.get();
    int refusedBefore = temporal.refusedCalls.get();

    ReadCommandsIT.Run run = vigilBackup(config, "api-key");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(new ObjectMapper().readTree(run.out()).get("status").asText()).isEqualTo("COMPLETE");
    // The listener lets nothing through without "Authorization: Bearer <key>".
    assertThat(temporal.authorizedCalls.get()).isGreaterThan(authorizedBefore);
    // Every call carried the key, the operator service's (search attributes) too.
    assertThat(temporal.refusedCalls.get()).isEqualTo(refusedBefore);
    assertThat(run.out() + run.err()).doesNotContain(TlsTemporal.API_KEY);
  }

  @Test
  void theHttpApiStartsABackupOverTlsWithAnApiKey() throws Exception {
    Path keyFile = Files.writeString(dir.resolve("api-key-for-api"), TlsTemporal.API_KEY);
    int authorizedBefore = temporal.authorizedCalls.get();

    try (ApiServer api = ApiServer.start(ApiSettings.from(load(withApi(apiKey(keyFile)), "api")))) {
      inANewSecond();
      HttpResponse<String> started = api(api, "POST", "/api/v1/backups");
      startedBy(System.currentTimeMillis());
      assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
      String runId = new ObjectMapper().readTree(started.body()).get("runId").asText();
      String state = "";
      for (int i = 0; i < 240 && !state.equals("COMPLETED"); i++) {
        Thread.sleep(250);
        HttpResponse<String> status = api(api, "GET", "/api/v1/runs/" + runId);
        assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
        state = new ObjectMapper().readTree(status.body()).get("state").asText();
      }
      assertThat(state).isEqualTo("COMPLETED");
    }
    assertThat(temporal.authorizedCalls.get()).isGreaterThan(authorizedBefore);
  }

  @Test
  void theHttpApiAnswersATlsOrKeyFailureWithTheSameLine() throws Exception {
    Path wrongKey = Files.writeString(dir.resolve("wrong-api-key-for-api"), "vk-wrong-api-9");
    try (ApiServer api =
        ApiServer.start(ApiSettings.from(load(withApi(apiKey(wrongKey)), "api-wrong-key")))) {
      HttpResponse<String> refused = api(api, "POST", "/api/v1/backups");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.body())
          .contains("\"code\":\"TEMPORAL_UNAVAILABLE\"")
          .contains("temporal.api-key: Temporal at 127.0.0.1:" + temporal.apiKeyPort)
          .doesNotContain("vk-wrong-api-9");
    }
    try (ApiServer api =
        ApiServer.start(
            ApiSettings.from(load(withApi(mutualTls(null, null)), "api-no-client-cert")))) {
      HttpResponse<String> refused = api(api, "POST", "/api/v1/backups");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(refused.body())
          .contains(
              "temporal.tls.client-cert: Temporal at 127.0.0.1:"
                  + temporal.mutualPort
                  + " requires a client certificate");
    }
  }

  @Test
  void aWrongApiKeyIsOneLineNamingTheSettingAndNotTheKey() throws IOException {
    String wrong = "vk-wrong-0000-1111-2222";
    Path keyFile = Files.writeString(dir.resolve("wrong-api-key"), wrong);
    int refusedBefore = temporal.refusedCalls.get();

    ReadCommandsIT.Run run = vigilBackup(write(apiKey(keyFile), "wrong-api-key"));

    assertOneLine(run, "vigil: temporal.api-key: Temporal at 127.0.0.1:" + temporal.apiKeyPort);
    assertThat(run.err()).contains("refused the API key from file " + keyFile);
    assertThat(run.out() + run.err()).doesNotContain(wrong).doesNotContain(TlsTemporal.API_KEY);
    assertThat(temporal.refusedCalls.get()).isGreaterThan(refusedBefore);
  }

  @Test
  void aClientWithoutCertificateIsRefusedByTheMutualTlsListener() throws IOException {
    ReadCommandsIT.Run run = vigilBackup(write(mutualTls(null, null), "no-client-cert"));

    assertOneLine(
        run,
        "vigil: temporal.tls.client-cert: Temporal at 127.0.0.1:"
            + temporal.mutualPort
            + " requires a client certificate");
  }

  @Test
  void aServerCertificateFromAnotherCaIsOneLineNamingServerCa() throws IOException {
    String yaml =
        mutualTls(temporal.clientCert, temporal.clientKey)
            .replace(temporal.serverCa.toString(), temporal.otherCa.toString());

    ReadCommandsIT.Run run = vigilBackup(write(yaml, "other-ca"));

    assertOneLine(
        run,
        "vigil: temporal.tls.server-ca: the certificate of Temporal at 127.0.0.1:"
            + temporal.mutualPort
            + " is not issued by the CA in file "
            + temporal.otherCa);
  }

  @Test
  void theWorkerToldAboutAnotherCaStopsWithTheSameLineBeforePolling() throws IOException {
    String yaml =
        mutualTls(temporal.clientCert, temporal.clientKey)
            .replace(temporal.serverCa.toString(), temporal.otherCa.toString());
    VigilConfig config = load(yaml, "worker-other-ca");

    try (WorkerTelemetry other = WorkerTelemetry.start()) {
      assertThatThrownBy(() -> WorkerMain.client(config, other))
          .isInstanceOf(TemporalAccessException.class)
          .hasMessageStartingWith("temporal.tls.server-ca: the certificate of Temporal at");
    }
  }

  @Test
  void aServerNameTheCertificateDoesNotHoldIsOneLineNamingServerName() throws IOException {
    String yaml =
        mutualTls(temporal.clientCert, temporal.clientKey)
            .replace("    server-name: " + TlsTemporal.SERVER_NAME + "\n", "");

    ReadCommandsIT.Run run = vigilBackup(write(yaml, "no-server-name"));

    assertOneLine(
        run,
        "vigil: temporal.tls.server-name: the certificate of Temporal at 127.0.0.1:"
            + temporal.mutualPort
            + " does not name 127.0.0.1");
  }

  @Test
  void anExpiredClientCertificateIsOneLineNamingClientCertAtConfigLoad() throws IOException {
    ReadCommandsIT.Run run =
        vigilBackup(write(mutualTls(temporal.expiredCert, temporal.expiredKey), "expired"));

    assertThat(run.exit()).isEqualTo(VigilMain.BAD_INPUT);
    assertOneLine(run, "temporal.tls.client-cert: certificate expired on ");
    assertThat(run.err()).contains("CN=vigil-old in file " + temporal.expiredCert);
  }

  @Test
  void aMissingClientKeyFileIsOneLineNamingClientKey() throws IOException {
    Path missing = dir.resolve("pki/nowhere.key");

    ReadCommandsIT.Run run =
        vigilBackup(write(mutualTls(temporal.clientCert, missing), "missing-key"));

    assertThat(run.exit()).isEqualTo(VigilMain.BAD_INPUT);
    assertOneLine(run, "temporal.tls.client-key-file");
    assertThat(run.err()).contains("no such file: " + missing);
  }

  @Test
  void theKeyOfAnotherCertificateIsOneLineNamingClientKeyWithoutKeyMaterial() throws IOException {
    ReadCommandsIT.Run run =
        vigilBackup(write(mutualTls(temporal.clientCert, temporal.expiredKey), "other-key"));

    assertThat(run.exit()).isEqualTo(VigilMain.BAD_INPUT);
    assertOneLine(run, "temporal.tls.client-key: the key in file " + temporal.expiredKey);
    assertThat(run.err()).contains("does not match the certificate of temporal.tls.client-cert");
    String keyBody =
        Files.readString(temporal.expiredKey).lines().skip(1).findFirst().orElseThrow();
    assertThat(run.err()).doesNotContain(keyBody.substring(0, 20));
  }

  private static final String API_TOKEN = "tls-it-operator-token-0123456789abcdef";

  /** {@code yaml} with an {@code api:} section on a free port and an operator token. */
  private static String withApi(String yaml) throws IOException {
    Path tokenFile = Files.writeString(dir.resolve("operator-token"), API_TOKEN);
    return yaml
        + """
        api:
          bind: 127.0.0.1
          port: %d
          tokens:
            ops: {role: operator, token-file: %s}
        """
            .formatted(FreePorts.find(), tokenFile);
  }

  /** A request as the operator; a POST starts a backup of the models. */
  private static HttpResponse<String> api(ApiServer api, String method, String path)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(api.url().resolve(path))
            .header("Authorization", "Bearer " + API_TOKEN);
    if (method.equals("POST")) {
      request
          .header("Content-Type", "application/json")
          .POST(
              HttpRequest.BodyPublishers.ofString(
                  "{\"plan\": \"api\", \"sources\": [\"models\"]}"));
    }
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String mutualTls(Path cert, Path key) {
    String client =
        cert == null
            ? ""
            : "    client-cert-file: " + cert + "\n    client-key-file: " + key + "\n";
    return """
        temporal:
          target: 127.0.0.1:%d
          task-queue: tls-it
          tls:
            server-ca-file: %s
        %s    server-name: %s
        """
            .formatted(temporal.mutualPort, temporal.serverCa, client, TlsTemporal.SERVER_NAME)
        + common;
  }

  private static String apiKey(Path keyFile) {
    return """
        temporal:
          target: 127.0.0.1:%d
          task-queue: tls-it
          api-key-file: %s
          tls:
            server-ca-file: %s
            server-name: %s
        """
            .formatted(temporal.apiKeyPort, keyFile, temporal.serverCa, TlsTemporal.SERVER_NAME)
        + common;
  }

  private static Path write(String yaml, String name) throws IOException {
    return Files.writeString(dir.resolve(name + ".yaml"), yaml);
  }

  private static VigilConfig load(String yaml, String name) throws IOException {
    return new ConfigLoader().load(write(yaml, name));
  }

  private static long lastStartSecond;

  /**
   * Waits for a second no earlier backup of this class started in: a backup's id is its source and
   * second, and a second backup of {@code models} in the same second is (rightly) refused as the
   * same backup (DUPLICATE_RUN), whatever its plan.
   */
  private static void inANewSecond() {
    long second = System.currentTimeMillis() / 1000;
    while (second <= lastStartSecond) {
      try {
        Thread.sleep(1000 - System.currentTimeMillis() % 1000 + 5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      second = System.currentTimeMillis() / 1000;
    }
  }

  /** A backup started before {@code millis}: its second may be as late as that one's. */
  private static void startedBy(long millis) {
    lastStartSecond = Math.max(lastStartSecond, millis / 1000);
  }

  /** A backup the connection refuses before any run starts. */
  private static ReadCommandsIT.Run vigilBackup(Path config) {
    return vigilBackup(config, "refused");
  }

  /**
   * A backup of plan {@code plan}: run ids are per plan and second, and each test's run must be its
   * own even when two tests start one in the same second.
   */
  private static ReadCommandsIT.Run vigilBackup(Path config, String plan) {
    inANewSecond();
    try {
      return ReadCommandsIT.vigil(
          "backup",
          "--config",
          config.toString(),
          "--plan",
          plan,
          "--source",
          "models",
          "--json",
          "--quiet");
    } finally {
      startedBy(System.currentTimeMillis());
    }
  }

  /** The command failed with exactly one line of its own that starts with {@code start}. */
  private static void assertOneLine(ReadCommandsIT.Run run, String start) {
    assertThat(run.exit()).as(run.err()).isNotZero();
    String own = withoutSdkLogRecords(run.err());
    List<String> lines =
        own.lines()
            .filter(line -> line.contains("temporal.") || line.startsWith("vigil:"))
            .toList();
    assertThat(lines).as(run.err()).hasSize(1);
    assertThat(lines.get(0)).as(run.err()).contains(start);
    assertThat(own).as(run.err()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  /**
   * {@code err} without the records the Temporal SDK's threads log meanwhile (a worker of an
   * earlier test class shutting down its pollers): the command runs in this JVM, and its captured
   * standard error is everyone's.
   */
  private static String withoutSdkLogRecords(String err) {
    StringBuilder own = new StringBuilder();
    boolean inSdkRecord = false;
    for (String line : err.lines().toList()) {
      if (line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} +[A-Z]+ +i\\.t\\..*")) {
        inSdkRecord = true;
      } else if (inSdkRecord
          && !(line.startsWith("\t") || line.startsWith("io.") || line.startsWith("Caused by"))) {
        inSdkRecord = false;
      }
      if (!inSdkRecord) {
        own.append(line).append('\n');
      }
    }
    return own.toString();
  }
}
