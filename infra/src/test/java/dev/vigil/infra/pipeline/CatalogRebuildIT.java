package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.catalog.CatalogRebuild;
import dev.vigil.activities.catalog.RebuildReport;
import dev.vigil.activities.restore.FreshClusters;
import dev.vigil.activities.restore.RestoreCatalog;
import dev.vigil.infra.cli.CliRun;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Recovery without the catalog: backups taken by the real pipeline (pg_dump, tar, S3Mock, Temporal
 * test server), the catalog database dropped, {@code vigil catalog rebuild} run through the real
 * command line, and the backup set restored from the rebuilt rows. A forged manifest (valid JSON, a
 * MAC that is not the key's) and a manifest edited after the backup are refused and never become
 * rows; a row that disagrees with its manifest is reported and left.
 */
class CatalogRebuildIT {
  private static final String ENTRIES = "SELECT count(*) FROM vigil.backup_entry";

  private static final AtomicLong CLOCK = new AtomicLong(2_000_000_000_000L);

  @TempDir Path dir;

  private PipelineHarness harness;
  private String lastRestoreId;

  @AfterEach
  void close() {
    if (harness != null) {
      harness.close();
    }
  }

  @Test
  void afterTheCatalogDatabaseIsDroppedARebuildLetsTheBackupSetBeRestored() throws Exception {
    harness = new PipelineHarness(dir);
    byte[] weights = Files.readAllBytes(dir.resolve("models/checkpoint-1/weights.bin"));
    // Under a prefix, as a shared bucket has it.
    String yaml = prefixed(harness.config());
    PlanResult set = harness.run(harness.load(yaml), List.of());
    assertThat(set.complete()).isTrue();
    assertThat(set.manifestKey()).startsWith("site-a/sets/");
    List<BackupRecord> before = harness.catalog();
    long entriesBefore = harness.postgres.queryLong(harness.catalogDb, ENTRIES);
    harness.close();

    harness.postgres.execute(
        "postgres",
        "DROP DATABASE " + harness.catalogDb + " WITH (FORCE)",
        "CREATE DATABASE " + harness.catalogDb);
    Path config = cliConfig(yaml);

    CliRun rebuild =
        CliRun.of("catalog", "rebuild", "--config", config.toString(), "--repository", "main");

    assertThat(rebuild.exit()).as(rebuild.toString()).isZero();
    assertThat(rebuild.out().strip())
        .isEqualTo(
            "catalog rebuild from repository 'main' (s3://"
                + harness.bucket
                + "/site-a): 2 backup manifests (2 added, 0 already present), 1 set manifests (1 added, 0"
                + " already present), 0 refused, 0 conflicting");
    harness.startWorker(harness.load(yaml));
    List<BackupRecord> after = harness.catalog();
    assertThat(after).hasSize(2);
    for (BackupRecord original : before) {
      BackupRecord rebuilt =
          after.stream()
              .filter(row -> row.backupId().equals(original.backupId()))
              .findFirst()
              .orElseThrow();
      assertThat(rebuilt.status()).isEqualTo("ARCHIVED");
      assertThat(rebuilt.setId()).isEqualTo(set.setId());
      assertThat(rebuilt.sha256()).isEqualTo(original.sha256());
      assertThat(rebuilt.storedBytes()).isEqualTo(original.storedBytes());
      assertThat(rebuilt.rawBytes()).isEqualTo(original.rawBytes());
      assertThat(rebuilt.objectKey()).isEqualTo(original.objectKey());
      assertThat(rebuilt.manifestKey()).isEqualTo(original.manifestKey());
      assertThat(rebuilt.keyId()).isEqualTo(original.keyId());
      assertThat(rebuilt.format()).isEqualTo(original.format());
      assertThat(rebuilt.consistentAt()).isEqualTo(original.consistentAt());
    }
    assertThat(
            harness.postgres.queryLong(
                harness.catalogDb,
                "SELECT count(*) FROM vigil.backup_set WHERE status = 'COMPLETE' AND set_id = '"
                    + set.setId()
                    + "'"))
        .isEqualTo(1);

    // The files and tables the manifests list are back in the catalog, for the API to page.
    assertThat(harness.postgres.queryLong(harness.catalogDb, ENTRIES))
        .isEqualTo(entriesBefore)
        .isPositive();
    assertThat(
            harness.postgres.queryLong(
                harness.catalogDb,
                "SELECT count(*) FROM vigil.backup_entry WHERE name = 'checkpoint-1/weights.bin'"
                    + " AND entry_type = 'file' AND size_bytes = "
                    + weights.length
                    + " AND sha256 = '"
                    + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights))
                    + "'"))
        .isEqualTo(1);
    assertThat(
            harness.postgres.queryLong(
                harness.catalogDb,
                "SELECT count(*) FROM vigil.backup_entry WHERE name = 'public.conversations'"
                    + " AND entry_type = 'table' AND row_count = 5000"))
        .isEqualTo(1);

    // Idempotent: a second run finds every row present and changes nothing.
    CliRun again =
        CliRun.of("catalog", "rebuild", "--config", config.toString(), "--repository", "main");
    assertThat(again.exit()).isZero();
    assertThat(again.out())
        .contains("(0 added, 2 already present)", "(0 added, 1 already present)");

    // The set restores from the rebuilt catalog alone.
    List<SelectedBackup> members =
        new RestoreCatalog(harness.services().catalogDataSource()).backupsOfSet(set.setId());
    assertThat(members).extracting(m -> m.source().name()).containsExactly("appdb", "models");
    Path models = dir.resolve("restored-models");
    RestoreResult directory =
        restore(memberOf(members, "models"), RestoreTarget.directory(models.toString()));
    assertThat(directory.status()).isEqualTo("RESTORED");
    assertThat(models.resolve("checkpoint-1/weights.bin")).hasBinaryContent(weights);
    RestoreResult database =
        restore(
            memberOf(members, "appdb"),
            new RestoreTarget("fresh-cluster", null, 0, null, null, null, null));
    try {
      assertThat(database.status()).isEqualTo("RESTORED");
      assertThat(database.validation().checks())
          .contains("public.conversations: 5000 rows as recorded");
    } finally {
      FreshClusters.shared().stop(lastRestoreId);
    }
  }

  @Test
  void forgedAndTamperedManifestsAreRefusedAndAMismatchIsReported() throws Exception {
    harness = new PipelineHarness(dir);
    PlanResult set = harness.run(harness.load(harness.config()), List.of());
    assertThat(set.complete()).isTrue();
    SourceBackupResult appdb = backupOf(set, "appdb");
    SourceBackupResult models = backupOf(set, "models");
    String keyId = harness.catalog().get(0).keyId();
    // A forger's manifest: a real one under a new backup id, valid JSON, a MAC not made with the
    // key.
    String forgedId = "models-20990101T000000Z";
    String forgedKey = "models/" + forgedId + "/manifest.json";
    String forged = read(models.manifestKey()).replace(models.backupId(), forgedId);
    put(
        "models/" + forgedId + "/data.vgl",
        new String(readBytes(models.objectKey()), StandardCharsets.ISO_8859_1),
        Map.of());
    put(forgedKey, forged, Map.of("vigil-hmac-sha256", "ab".repeat(32), "vigil-key-id", keyId));
    // The real appdb manifest edited after the backup, its MAC left as it was.
    String edited = read(appdb.manifestKey()).replace("\"totalRows\" : 5000", "\"totalRows\" : 1");
    assertThat(edited).isNotEqualTo(read(appdb.manifestKey()));
    put(appdb.manifestKey(), edited, metadata(appdb.manifestKey()));
    harness.postgres.execute(
        harness.catalogDb, "TRUNCATE vigil.backup, vigil.backup_set, vigil.backup_object CASCADE");

    // The plain service, without the CLI.
    RebuildReport report;
    try (VigilServices services =
        new VigilServices(harness.load(harness.config()), PipelineHarness.ENVIRONMENT_WITH_S3)) {
      report =
          new CatalogRebuild(services.catalogDataSource(), services.manifests())
              .run("main", services.store("main"));
    }

    String bucket = "manifest s3://" + harness.bucket + "/";
    assertThat(report.refused())
        .containsExactlyInAnyOrder(
            "refused: "
                + bucket
                + forgedKey
                + " fails its HMAC check under key '"
                + keyId
                + "' (altered after the backup, or forged); do not trust it",
            "refused: "
                + bucket
                + appdb.manifestKey()
                + " fails its HMAC check under key '"
                + keyId
                + "' (altered after the backup, or forged); do not trust it");
    assertThat(report.backupsAdded()).isEqualTo(1);
    assertThat(report.setsAdded()).isEqualTo(1);
    assertThat(
            harness.postgres.queryLong(
                harness.catalogDb,
                "SELECT count(*) FROM vigil.backup WHERE backup_id IN ('"
                    + forgedId
                    + "', '"
                    + appdb.backupId()
                    + "')"))
        .isZero();

    // Through the command line: the refused lines, the summary, exit 1.
    Path config = cliConfig(harness.config());
    CliRun cli =
        CliRun.of("catalog", "rebuild", "--config", config.toString(), "--repository", "main");
    assertThat(cli.exit()).isEqualTo(1);
    assertThat(cli.out().lines().toList())
        .hasSize(3)
        .contains(report.refused().get(0), report.refused().get(1))
        .last()
        .asString()
        .endsWith("1 set manifests (0 added, 1 already present), 2 refused, 0 conflicting");

    // A row that disagrees with its authentic manifest is reported and left as it is.
    harness.postgres.execute(
        harness.catalogDb,
        "UPDATE vigil.backup SET sha256 = 'beef' WHERE backup_id = '" + models.backupId() + "'");
    CliRun conflict =
        CliRun.of("catalog", "rebuild", "--config", config.toString(), "--repository", "main");
    assertThat(conflict.exit()).isEqualTo(1);
    assertThat(conflict.out())
        .contains(
            "conflict: backup '"
                + models.backupId()
                + "' in the catalog has sha256 beef where the manifest has "
                + models.sha256());
    assertThat(
            harness.postgres.queryLong(
                harness.catalogDb, "SELECT count(*) FROM vigil.backup WHERE sha256 = 'beef'"))
        .isEqualTo(1);
  }

  /** {@code yaml} with the repository under the prefix {@code site-a}. */
  private String prefixed(String yaml) {
    String bucket = "    bucket: " + harness.bucket + "\n";
    assertThat(yaml).contains(bucket);
    return yaml.replace(bucket, bucket + "    prefix: site-a\n");
  }

  /** {@code yaml} with the key and S3 credentials in files, as the CLI reads them. */
  private Path cliConfig(String yaml) throws IOException {
    Path key =
        Files.writeString(
            dir.resolve("vigil.key"), PipelineHarness.ENVIRONMENT.apply(PipelineHarness.KEY_ENV));
    Path id = Files.writeString(dir.resolve("s3-id"), "test");
    Path secret = Files.writeString(dir.resolve("s3-secret"), "test-secret");
    String cli =
        yaml.replace("key-env: " + PipelineHarness.KEY_ENV, "key-file: " + key)
            .replace("access-key-id-env: AWS_TEST_ID", "access-key-id-file: " + id)
            .replace("secret-access-key-env: AWS_TEST_SECRET", "secret-access-key-file: " + secret);
    return Files.writeString(dir.resolve("cli-vigil.yaml"), cli);
  }

  private RestoreResult restore(SelectedBackup backup, RestoreTarget target) {
    RestoreClient client =
        new RestoreClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    lastRestoreId =
        client.start(
            new RestoreRequest(
                new RestoreSelector(null, backup.backupId(), 0), target, false, 2, "rebuild-it"),
            CLOCK.addAndGet(1000));
    return client.await(lastRestoreId);
  }

  private static SelectedBackup memberOf(List<SelectedBackup> members, String source) {
    return members.stream().filter(m -> m.source().name().equals(source)).findFirst().orElseThrow();
  }

  private static SourceBackupResult backupOf(PlanResult plan, String source) {
    return plan.results().stream()
        .filter(result -> result.source().name().equals(source))
        .findFirst()
        .orElseThrow();
  }

  private String read(String key) throws IOException {
    return new String(readBytes(key), StandardCharsets.UTF_8);
  }

  private byte[] readBytes(String key) throws IOException {
    try (InputStream in = harness.s3.client().getObject(b -> b.bucket(harness.bucket).key(key))) {
      return in.readAllBytes();
    }
  }

  private Map<String, String> metadata(String key) {
    return harness.s3.client().headObject(b -> b.bucket(harness.bucket).key(key)).metadata();
  }

  private void put(String key, String content, Map<String, String> metadata) {
    harness
        .s3
        .client()
        .putObject(
            b -> b.bucket(harness.bucket).key(key).metadata(metadata),
            RequestBody.fromBytes(content.getBytes(StandardCharsets.ISO_8859_1)));
  }
}
