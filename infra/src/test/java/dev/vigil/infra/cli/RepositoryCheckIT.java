package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.VigilServices;
import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.infra.wal.PackagedCli;
import dev.vigil.starter.BackupClient;
import dev.vigil.worker.VigilWorker;
import dev.vigil.worker.WorkerTelemetry;
import dev.vigil.workflows.backup.PlanResult;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * {@code vigil check} of the catalog against the repository after two real plan runs of two
 * directory sources (a worker on Temporal's test server, the catalog in PostgreSQL, S3Mock), then
 * the repository damaged behind the catalog's back step by step: an object replaced with garbage of
 * the same size, a manifest's bit flipped on S3Mock's disk, orphans and an abandoned multipart
 * upload written directly, a data object deleted. Each step runs the real command line.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RepositoryCheckIT {
  private static Path dir;
  private static Path config;
  private static String bucket;
  private static String catalogDb;
  private static int metricsPort;
  private static final List<BackupRecord> docs = new ArrayList<>();
  private static final List<BackupRecord> models = new ArrayList<>();

  @BeforeAll
  static void backUpTwice() throws Exception {
    S3MockFixture s3 = S3MockFixture.get();
    PostgresFixture catalog = PostgresFixture.get();
    bucket = s3.newBucket("repocheck");
    metricsPort = FreePorts.find();
    catalogDb = catalog.createDatabase();
    dir = Files.createTempDirectory(Path.of("/tmp"), "vigil-repocheck-it-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Random random = new Random(7);
    for (String source : List.of("docs", "models")) {
      Path tree = Files.createDirectories(dir.resolve(source).resolve("sub"));
      byte[] content = new byte[300_000];
      random.nextBytes(content);
      Files.write(tree.resolve("a.bin"), content);
      Files.writeString(tree.resolveSibling("readme.txt"), "about " + source + "\n");
    }
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    config =
        PackagedCli.readable(
            dir.resolve("vigil.yaml"),
            """
            catalog:
              jdbc-url: %s
              user: %s
              password-file: %s
            worker:
              host-id: check-host
              spool-dir: %s
            repositories:
              main:
                endpoint: %s
                region: us-east-1
                bucket: %s
                prefix: prod
                path-style-access: true
                access-key-id-file: %s
                secret-access-key-file: %s
            encryption:
              key-file: %s
            metrics:
              port: %d
            sources:
              docs:
                type: directory
                kind: dataset
                path: %s
              models:
                type: directory
                kind: model
                path: %s
            """
                .formatted(
                    catalog.cluster().jdbcUrl(catalogDb),
                    catalog.superuser(),
                    PackagedCli.readable(dir.resolve("catalog.pw"), catalog.password() + "\n"),
                    Files.createDirectories(dir.resolve("spool")),
                    s3.endpoint(),
                    bucket,
                    PackagedCli.readable(dir.resolve("access-key"), "vigil-test"),
                    PackagedCli.readable(dir.resolve("secret-key"), "vigil-test-secret"),
                    PackagedCli.readable(
                        dir.resolve("vigil.key"), Base64.getEncoder().encodeToString(key)),
                    metricsPort,
                    dir.resolve("docs"),
                    dir.resolve("models")));
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    try (TestWorkflowEnvironment environment =
            TestWorkflowEnvironment.newInstance(
                TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
        VigilServices services = new VigilServices(loaded, System::getenv);
        VigilWorker worker = VigilWorker.start(environment.getWorkflowClient(), services)) {
      BackupClient client =
          new BackupClient(environment.getWorkflowClient(), loaded.temporal().taskQueue());
      long now = System.currentTimeMillis();
      for (long at : List.of(now - 60_000, now)) {
        PlanResult result =
            client.await(client.start("check", List.of("docs", "models"), at, "test"));
        assertThat(result.status()).isEqualTo("COMPLETE");
      }
      for (BackupRecord backup : services.catalog().list(null)) {
        (backup.source().equals("docs") ? docs : models).add(0, backup);
      }
    }
    assertThat(docs).hasSize(2).allMatch(backup -> backup.status().equals("ARCHIVED"));
    assertThat(models).hasSize(2).allMatch(backup -> backup.status().equals("ARCHIVED"));
  }

  @AfterAll
  static void removeFiles() throws Exception {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  @Test
  @Order(1)
  void aHealthyRepositoryExits0AndReadDataReadsEveryBackup() {
    CliRun run = CliRun.of("check", "--config", config.toString());
    CliRun read = CliRun.of("check", "--config", config.toString(), "--read-data");

    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    assertThat(run.out())
        .contains(
            "docs: 2 archived backups, 4 objects (",
            "models: 2 archived backups, 4 objects (",
            "backup sets: 2 set manifests stored")
        .containsPattern(
            "(?m)^check: 4 archived backups, 10 objects \\([^)]+\\), 2 set manifests:"
                + " no problem$");
    assertThat(read.exit()).as(read.out() + read.err()).isZero();
    for (BackupRecord backup : concat()) {
      assertThat(read.out())
          .containsPattern(
              "(?m)^"
                  + backup.source()
                  + ": backup "
                  + backup.backupId()
                  + ": data read \\([^)]+\\): SHA-256 matches the catalog, decrypts and"
                  + " authenticates; manifest HMAC and contents match$");
    }
    assertThat(read.out())
        .containsPattern("(?m)^check: .*, 4 backups read back \\([^)]+\\): no problem$");
  }

  @Test
  @Order(2)
  void sameSizeGarbageIsCaughtOnlyByReadData() throws Exception {
    BackupRecord damaged = docs.get(0);
    long size =
        S3MockFixture.get()
            .client()
            .headObject(request -> request.bucket(bucket).key(damaged.objectKey()))
            .contentLength();
    byte[] garbage = new byte[(int) size];
    new Random(1).nextBytes(garbage);
    S3MockFixture.get()
        .client()
        .putObject(
            request -> request.bucket(bucket).key(damaged.objectKey()),
            RequestBody.fromBytes(garbage));

    CliRun sizes = CliRun.of("check", "--config", config.toString());
    CliRun read = CliRun.of("check", "--config", config.toString(), "--read-data");
    CliRun otherSource =
        CliRun.of("check", "--config", config.toString(), "--read-data", "--source", "models");

    assertThat(sizes.exit()).as(sizes.out()).isZero();
    assertThat(read.exit()).isEqualTo(VigilMain.FAILED);
    assertThat(read.out())
        .containsPattern(
            "(?m)^docs: backup "
                + damaged.backupId()
                + ": "
                + damaged.objectKey()
                + " is damaged: its SHA-256 is [0-9a-f]{64} where the catalog has "
                + damaged.sha256()
                + "; it does not decrypt with the configured key: .*; this backup cannot be"
                + " restored, restore another one or take a new backup$")
        .containsPattern("(?m)^check: .*: 1 problem \\(1 damaged\\)$");
    assertThat(otherSource.exit()).as(otherSource.out()).isZero();
    assertThat(otherSource.out()).doesNotContain("docs");
  }

  @Test
  @Order(3)
  void aManifestAlteredOnTheStoresDiskFailsItsHmac() throws Exception {
    BackupRecord altered = models.get(0);
    S3MockFixture.get().flipBitOnDisk(bucket, altered.manifestKey(), 40);

    CliRun read =
        CliRun.of("check", "--config", config.toString(), "--read-data", "--source", "models");

    assertThat(read.exit()).isEqualTo(VigilMain.FAILED);
    assertThat(read.out())
        .contains(
            "models: backup "
                + altered.backupId()
                + ": manifest "
                + altered.manifestKey()
                + " fails its HMAC check (altered after it was written, or written with another"
                + " key); do not trust this backup\n");
  }

  @Test
  @Order(4)
  void orphansAndAnAbandonedUploadAreNamedButARunningBackupsAreNot() {
    var s3 = S3MockFixture.get().client();
    String orphan = "prod/docs/docs-20990101T000000Z/data.vgl";
    s3.putObject(request -> request.bucket(bucket).key(orphan), RequestBody.fromString("x"));
    s3.putObject(
        request -> request.bucket(bucket).key("prod/notes.txt"), RequestBody.fromString("hi"));
    String abandoned = "prod/models/models-20990101T000000Z/data.vgl";
    String uploadId =
        s3.createMultipartUpload(request -> request.bucket(bucket).key(abandoned)).uploadId();
    // A backup still running has uploaded its manifest and is uploading its data: in flight.
    String running = "prod/docs/docs-20990102T000000Z/";
    s3.putObject(
        request -> request.bucket(bucket).key(running + "manifest.json"),
        RequestBody.fromString("{}"));
    s3.createMultipartUpload(request -> request.bucket(bucket).key(running + "data.vgl"));
    // A backup that failed after its upload: its object serves no restore.
    String failed = "prod/models/models-20990102T000000Z/data.vgl";
    s3.putObject(request -> request.bucket(bucket).key(failed), RequestBody.fromString("zz"));
    PostgresFixture.get()
        .execute(
            catalogDb,
            "INSERT INTO vigil.backup (backup_id, source, source_type, kind, repository, status,"
                + " started_at) VALUES ('docs-20990102T000000Z', 'docs', 'directory', 'dataset',"
                + " 'main', 'RUNNING', now()), ('models-20990102T000000Z', 'models',"
                + " 'directory', 'model', 'main', 'FAILED', now())");

    CliRun run = CliRun.of("check", "--config", config.toString());
    CliRun models = CliRun.of("check", "--config", config.toString(), "--source", "models");

    assertThat(run.exit()).isEqualTo(VigilMain.FAILED);
    assertThat(run.out())
        .containsPattern(
            "(?m)^docs: "
                + orphan
                + " \\(1 bytes, written [^)]+\\) in repository 'main' has no catalog row \\(backup"
                + " docs-20990101T000000Z is unknown: .*\\); it only costs storage: delete it"
                + " \\(aws s3 rm s3://"
                + bucket
                + "/"
                + orphan
                + "\\) unless something other than Vigil owns it$")
        .containsPattern(
            "(?m)^prod/notes.txt \\(2 bytes, written [^)]+\\) in repository 'main' is not a Vigil"
                + " object \\(outside every source's folder\\); .*$")
        .contains(
            "models: incomplete multipart upload of "
                + abandoned
                + " in repository 'main' (upload id "
                + uploadId
                + ") that no running backup will finish;")
        .containsPattern(
            "(?m)^models: "
                + failed
                + " \\(2 bytes, written [^)]+\\) in repository 'main' belongs to backup"
                + " models-20990102T000000Z, which is FAILED in the catalog, so no restore uses"
                + " it; .*$")
        .doesNotContain(running)
        .containsPattern("(?m)^check: .*: 4 problems \\(3 orphan, 1 incomplete upload\\)$");
    assertThat(models.exit()).isEqualTo(VigilMain.FAILED);
    assertThat(models.out())
        .contains("incomplete multipart upload of " + abandoned, failed)
        .doesNotContain(orphan)
        .doesNotContain("notes.txt");
  }

  @Test
  @Order(5)
  void aDataObjectDeletedBehindTheCatalogsBackIsMissing() throws Exception {
    BackupRecord lost = models.get(1);
    S3MockFixture.get()
        .client()
        .deleteObject(request -> request.bucket(bucket).key(lost.objectKey()));

    CliRun run = CliRun.of("check", "--config", config.toString(), "--source", "models");
    CliRun json = CliRun.of("check", "--config", config.toString(), "--json");

    assertThat(run.exit()).isEqualTo(VigilMain.FAILED);
    assertThat(run.out())
        .contains(
            "models: backup "
                + lost.backupId()
                + ": data object "
                + lost.objectKey()
                + " is missing from repository 'main' (bucket "
                + bucket
                + ") although the catalog has the backup ARCHIVED; it cannot be restored:"
                + " restore another backup, and take a new one with `vigil backup --source"
                + " models`\n")
        .containsPattern(
            "(?m)^check: .*: 3 problems \\(1 missing, 1 orphan, 1 incomplete upload\\)$");
    assertThat(json.exit()).isEqualTo(VigilMain.FAILED);
    List<JsonNode> problems = new ArrayList<>();
    Json.MAPPER
        .readTree(json.out())
        .forEach(result -> result.get("problems").forEach(problems::add));
    assertThat(problems)
        .anySatisfy(
            problem -> {
              assertThat(problem.get("kind").asText()).isEqualTo("missing");
              assertThat(problem.get("source").asText()).isEqualTo("models");
              assertThat(problem.get("backupId").asText()).isEqualTo(lost.backupId());
              assertThat(problem.get("key").asText()).isEqualTo(lost.objectKey());
            });
    assertThat(problems)
        .extracting(problem -> problem.get("kind").asText())
        .containsExactlyInAnyOrder("missing", "orphan", "orphan", "orphan", "incomplete_upload");
  }

  @Test
  @Order(6)
  void theWorkerChecksAtStartAndExportsProblemsByKindAndTheLastRun() throws Exception {
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    long before = System.currentTimeMillis() / 1000;
    try (TestWorkflowEnvironment environment = TestWorkflowEnvironment.newInstance();
        VigilServices services = new VigilServices(loaded, System::getenv);
        WorkerTelemetry telemetry = WorkerTelemetry.start();
        VigilWorker worker =
            VigilWorker.start(environment.getWorkflowClient(), services, telemetry)) {
      String body = "";
      for (int attempt = 0; attempt < 120 && !body.contains("vigil_check_problems{"); attempt++) {
        Thread.sleep(500);
        body =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + worker.endpointPort() + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
      }

      assertThat(body)
          .contains(
              "vigil_check_problems{kind=\"missing\",source=\"models\"} 1.0\n",
              "vigil_check_problems{kind=\"incomplete_upload\",source=\"models\"} 1.0\n",
              "vigil_check_problems{kind=\"orphan\",source=\"docs\"} 1.0\n",
              "vigil_check_problems{kind=\"orphan\",source=\"models\"} 1.0\n",
              "vigil_check_problems{kind=\"orphan\",source=\"-\"} 1.0\n",
              "vigil_check_problems{kind=\"missing\",source=\"docs\"} 0.0\n",
              "vigil_check_problems{kind=\"damaged\",source=\"docs\"} 0.0\n");
      java.util.regex.Matcher last =
          java.util.regex.Pattern.compile("(?m)^vigil_check_last_run_timestamp_seconds (\\S+)")
              .matcher(body);
      assertThat(last.find()).as(body).isTrue();
      assertThat(Double.parseDouble(last.group(1)))
          .isBetween((double) before - 1, (double) System.currentTimeMillis() / 1000 + 1);
    }
  }

  private static List<BackupRecord> concat() {
    List<BackupRecord> all = new ArrayList<>(docs);
    all.addAll(models);
    return all;
  }
}
