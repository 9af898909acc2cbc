package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.VigilConfig;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.activities.wal.WalSegment;
import dev.vigil.infra.wal.PackagedCli;
import dev.vigil.infra.wal.WalCluster;
import dev.vigil.worker.VigilWorker;
import dev.vigil.worker.WorkerTelemetry;
import io.temporal.testing.TestWorkflowEnvironment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code vigil check} on a real archive: a PostgreSQL 15 cluster whose archive_command is the
 * packaged {@code vigil wal-push} into S3Mock, a base backup in the catalog with its real start
 * LSN, WAL switched after it; then one segment object deleted from the store.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CheckCommandIT {
  private static final String SOURCE = "appdb";

  private static Path dir;
  private static Path config;
  private static String bucket;
  private static WalCluster postgres;
  private static String start;
  private static int metricsPort;
  private static Instant archivingSince;
  private static final List<String> after = new ArrayList<>();

  @BeforeAll
  static void archive() throws Exception {
    S3MockFixture s3 = S3MockFixture.get();
    PostgresFixture catalog = PostgresFixture.get();
    bucket = s3.newBucket("check");
    metricsPort = FreePorts.find();
    archivingSince = Instant.now();
    String catalogDb = catalog.createDatabase();
    dir = Files.createTempDirectory(Path.of("/tmp"), "vigil-check-it-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    Path keyFile =
        PackagedCli.readable(dir.resolve("vigil.key"), Base64.getEncoder().encodeToString(key));
    Path accessKey = PackagedCli.readable(dir.resolve("access-key"), "vigil-test");
    Path secretKey = PackagedCli.readable(dir.resolve("secret-key"), "vigil-test-secret");
    Path catalogPassword =
        PackagedCli.readable(dir.resolve("catalog.pw"), catalog.password() + "\n");
    config =
        PackagedCli.readable(
            dir.resolve("vigil.yaml"),
            """
            catalog:
              jdbc-url: %s
              user: %s
              password-file: %s
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
              %s:
                type: postgres
                mode: physical
                host: 127.0.0.1
                port: 5432
                database: app
                user: backup
            """
                .formatted(
                    catalog.cluster().jdbcUrl(catalogDb),
                    catalog.superuser(),
                    catalogPassword,
                    s3.endpoint(),
                    bucket,
                    accessKey,
                    secretKey,
                    keyFile,
                    metricsPort,
                    SOURCE));
    try (VigilServices services =
        new VigilServices(
            new ConfigLoader().withoutLocalPathChecks().load(config), System::getenv)) {
      services.catalog().migrate();
    }
    Path push = PackagedCli.script(dir, "wal-push", "\"$1\"", config, SOURCE);
    postgres = WalCluster.start(dir.resolve("pg"), push + " %p");
    start = postgres.baseBackup("check-it");
    for (int i = 0; i < 4; i++) {
      after.add(postgres.switchSegment());
    }
    postgres.awaitArchived(after.get(after.size() - 1));
    // The base backup's data object, empty as its row says (stored_bytes 0): the object check
    // finds what the catalog claims.
    s3.client()
        .putObject(
            request -> request.bucket(bucket).key("prod/appdb/appdb-base/data.vgl"),
            software.amazon.awssdk.core.sync.RequestBody.empty());
    catalog.execute(
        catalogDb,
        ("INSERT INTO vigil.backup (backup_id, source, source_type, kind, repository, status,"
                + " started_at, finished_at, consistent_at, object_key, format, backup_mode,"
                + " start_lsn, timeline) VALUES ('appdb-base', '%s', 'postgres', 'database',"
                + " 'main', 'ARCHIVED', now(), now(), now(), 'prod/appdb/appdb-base/data.vgl',"
                + " 'tar', 'physical', '%s', 1)")
            .formatted(SOURCE, start));
  }

  @AfterAll
  static void stop() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  @Test
  @Order(1)
  void aWholeChainExits0WithOneSummaryLine() {
    CliRun run = CliRun.of("check", "--config", config.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out())
        .matches(
            "appdb: 1 archived backup, 1 object \\(0 B\\) in repository 'main' with their"
                + " recorded sizes, nothing else stored\n"
                + "appdb: WAL complete from "
                + segment(start)
                + " \\(backup appdb-base\\) to [0-9A-F]{24}, \\d+ segments, last archived"
                + " [0-9.]+s ago\n"
                + "check: 1 archived backup, 1 object \\(0 B\\): no problem\n");
  }

  @Test
  @Order(2)
  void aSegmentDeletedFromTheStoreIsNamedAndTheCheckExits1() {
    String deleted = after.get(1);
    S3MockFixture.get()
        .client()
        .deleteObject(
            request ->
                request
                    .bucket(bucket)
                    .key("prod/appdb/wal/" + deleted.substring(0, 8) + "/" + deleted + ".vgl"));

    CliRun run = CliRun.of("check", "--config", config.toString(), "--source", SOURCE);
    CliRun json = CliRun.of("check", "--config", config.toString(), "--json");

    assertThat(run.exit()).isEqualTo(VigilMain.FAILED);
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(2)).endsWith(": 1 problem (1 wal gap)");
    assertThat(lines.get(1) + "\n")
        .startsWith(
            "appdb: WAL gap on timeline 1: "
                + deleted
                + " missing (1 segment); point-in-time recovery is not possible to any point after "
                + after.get(0)
                + " (archived ")
        .endsWith("; take a new base backup with `vigil backup --source appdb`\n");
    assertThat(json.exit()).isEqualTo(VigilMain.FAILED);
    assertThat(json.out()).contains("\"check\" : \"wal\"").contains(deleted);
  }

  @Test
  @Order(3)
  void theWorkersMetricsEndpointExportsTheLastArchivedTimeAndTheGapFromTheRealArchive()
      throws Exception {
    VigilConfig loaded = new ConfigLoader().withoutLocalPathChecks().load(config);
    try (TestWorkflowEnvironment environment = TestWorkflowEnvironment.newInstance();
        VigilServices services = new VigilServices(loaded, System::getenv);
        WorkerTelemetry telemetry = WorkerTelemetry.start();
        VigilWorker worker =
            VigilWorker.start(environment.getWorkflowClient(), services, telemetry)) {
      HttpResponse<String> scrape =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + worker.endpointPort() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());

      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.body()).contains("vigil_wal_gap_segments{source=\"appdb\"} 1.0\n");
      Matcher last =
          Pattern.compile("vigil_wal_last_archived_timestamp_seconds\\{source=\"appdb\"} (\\S+)")
              .matcher(scrape.body());
      assertThat(last.find()).as(scrape.body()).isTrue();
      double seconds = Double.parseDouble(last.group(1));
      assertThat(seconds)
          .isBetween(
              (double) archivingSince.getEpochSecond() - 1,
              (double) Instant.now().getEpochSecond() + 1);
    }
  }

  private static String segment(String lsn) {
    return WalSegment.containing(1, lsn, WalSegment.DEFAULT_SIZE).name(WalSegment.DEFAULT_SIZE);
  }
}
