package dev.vigil.activities.repair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.catalog.PostgresCatalog;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.drill.DrillActivitiesImpl;
import dev.vigil.activities.drill.DrillEnvironments;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.testing.PostgresFixture;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.workflows.backup.BackupStart;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.drill.DrillEnvironment;
import dev.vigil.workflows.drill.DrillObjectives;
import dev.vigil.workflows.drill.DrillSource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * The orphan sweep against a real catalog, real S3Mock objects and uploads, and a real spool: what
 * lost runs left is resolved, what running ones own is untouched.
 */
final class OrphanSweeperIT {
  private static final SourceRef MODELS = new SourceRef("models", "directory", "model", "s3mock");

  @TempDir Path dir;

  private final PostgresFixture postgres = PostgresFixture.get();
  private final S3MockFixture s3 = S3MockFixture.get();
  private String database;
  private PostgresCatalog catalog;
  private String bucket;
  private ObjectStore store;
  private Spool spool;
  private DrillEnvironments drills;

  /** What Temporal "knows": lost runs are absent. */
  private final Map<String, RunState> temporal =
      Map.of(
          "backup-models-closed", RunState.CLOSED,
          "backup-models-open", RunState.OPEN,
          "restore-models-open", RunState.OPEN,
          "restore-models-done", RunState.CLOSED,
          "drill-open-20261203T010000Z", RunState.OPEN);

  private final RunStates runs = id -> temporal.getOrDefault(id, RunState.UNKNOWN);

  @BeforeEach
  void setUp() throws IOException {
    database = postgres.createDatabase();
    catalog = PostgresCatalog.create(postgres.catalogConfig(database), postgres.password());
    catalog.migrate();
    bucket = s3.newBucket("sweep");
    store = s3.objectStore(bucket);
    spool = new Spool(Files.createDirectories(dir.resolve("spool")));
    drills = new DrillEnvironments(spool.root().resolve(DrillActivitiesImpl.ENVIRONMENTS));
  }

  @Test
  void lostAndClosedRunsAreFailedAndCleanedWhileOpenRunsAndOtherFilesStay() throws Exception {
    // Lost with the Temporal server: uploaded data, an incomplete upload of the manifest, a spool.
    begin("models-lost", "backup-models-lost");
    put("models/models-lost/data.vgl");
    String lostUpload = startUpload("models/models-lost/manifest.json");
    spoolDir("models-lost");
    // Terminated: its workflow is closed, the row still RUNNING.
    begin("models-closed", "backup-models-closed");
    put("models/models-closed/data.vgl");
    // Running now: everything of it stays.
    begin("models-open", "backup-models-open");
    put("models/models-open/data.vgl");
    String openUpload = startUpload("models/models-open/manifest.json");
    spoolDir("models-open");
    // Archived long ago, but its spool was never cleaned: the spool goes, the objects stay.
    begin("models-old", "backup-models-old");
    postgres.execute(
        database, "UPDATE vigil.backup SET status = 'ARCHIVED' WHERE backup_id = 'models-old'");
    put("models/models-old/data.vgl");
    spoolDir("models-old");
    // Restores: one still open, one done whose cleanup never ran; and a retention scratch dir.
    spoolDir("restore-models-open");
    spoolDir("restore-models-done");
    spoolDir("rows-12345");
    // A drill whose run was lost left its environment with a running cluster; another drill runs.
    DrillSource appdb =
        new DrillSource("appdb", "postgres", "database", "app", DrillObjectives.NONE);
    DrillEnvironment lostDrill =
        new DrillEnvironments(drills.root())
            .create("drill-lost-20261203T010000Z", "h1", List.of(appdb));
    assertThat(listening(lostDrill.port())).isTrue();
    drills.scratchDir("drill-open-20261203T010000Z").toFile().mkdirs();

    OrphanSweeper sweeper =
        new OrphanSweeper(catalog, name -> store, spool, runs, drills, "the test");
    SweepReport dry = sweeper.sweep(true);

    assertThat(dry.lines())
        .anySatisfy(
            line ->
                assertThat(line)
                    .startsWith("would resolve models-lost (source models, host h1): run")
                    .contains("no longer known to Temporal")
                    .contains("1 object to delete, 1 incomplete upload to abort"))
        .anySatisfy(line -> assertThat(line).startsWith("would resolve models-closed"));
    assertThat(dry.summary())
        .isEqualTo(
            "dry run: 2 orphaned backups to resolve, 3 stale spool directories to remove,"
                + " 1 running backup left to its workflow");
    assertThat(listening(lostDrill.port())).isTrue();
    assertThat(status("models-lost")).isEqualTo("RUNNING");
    assertThat(keys()).hasSize(4);
    assertThat(uploads()).hasSize(2);
    assertThat(spoolEntries()).hasSize(7);

    SweepReport report = sweeper.sweep(false);

    assertThat(report.resolved()).isEqualTo(2);
    assertThat(report.spoolRemoved()).isEqualTo(3);
    assertThat(report.running()).isEqualTo(1);
    assertThat(report.lines())
        .contains(
            "removed stale spool directory " + spool.root().resolve("models-old"),
            "removed stale spool directory " + spool.root().resolve("restore-models-done"),
            "tore down drill environment "
                + drills.scratchDir("drill-lost-20261203T010000Z")
                + " (run drill-lost-20261203T010000Z is not open)");
    assertThat(listening(lostDrill.port())).as("the lost drill's cluster").isFalse();
    assertThat(Path.of(lostDrill.scratchDir())).doesNotExist();
    assertThat(drills.scratchDir("drill-open-20261203T010000Z")).isDirectory();
    BackupRecord lost = catalog.find("models-lost").orElseThrow();
    assertThat(lost.status()).isEqualTo("FAILED");
    assertThat(lost.failureType()).isEqualTo(ErrorType.RUN_LOST.name());
    assertThat(lost.failureReason())
        .startsWith("orphaned: run backup-models-lost is no longer known to Temporal")
        .endsWith("marked failed and cleaned by the test");
    assertThat(catalog.find("models-closed").orElseThrow().failureReason())
        .contains("run backup-models-closed ended without recording an outcome");
    assertThat(status("models-open")).isEqualTo("RUNNING");
    assertThat(status("models-old")).isEqualTo("ARCHIVED");
    assertThat(keys())
        .containsExactlyInAnyOrder("models/models-open/data.vgl", "models/models-old/data.vgl");
    assertThat(uploads()).extracting(MultipartUpload::uploadId).containsExactly(openUpload);
    assertThat(uploads()).extracting(MultipartUpload::uploadId).doesNotContain(lostUpload);
    assertThat(spoolEntries())
        .containsExactlyInAnyOrder(
            "models-open", "restore-models-open", "rows-12345", DrillActivitiesImpl.ENVIRONMENTS);

    SweepReport again = sweeper.sweep(false);
    assertThat(again.summary())
        .isEqualTo(
            "0 orphaned backups resolved, 0 stale spool directories removed,"
                + " 1 running backup left to its workflow");
  }

  @Test
  void aTemporalThatCannotBeAskedStopsTheSweepBeforeAnythingChanges() throws Exception {
    begin("models-lost", "backup-models-lost");
    put("models/models-lost/data.vgl");
    spoolDir("models-lost");
    RunStates unreachable =
        id -> {
          throw new StatusRuntimeException(Status.UNAVAILABLE.withDescription("down"));
        };

    assertThatThrownBy(
            () ->
                new OrphanSweeper(catalog, name -> store, spool, unreachable, drills, "the test")
                    .sweep(false))
        .isInstanceOf(StatusRuntimeException.class);

    assertThat(status("models-lost")).isEqualTo("RUNNING");
    assertThat(keys()).containsExactly("models/models-lost/data.vgl");
    assertThat(spoolEntries()).containsExactly("models-lost");
  }

  @Test
  void anOrphanWhoseRepositoryIsNotConfiguredStaysRunningAndIsReported() throws Exception {
    begin("models-lost", "backup-models-lost");
    put("models/models-lost/data.vgl");
    Function<String, ObjectStore> noStores =
        name -> {
          throw new VigilException(
              ErrorType.INVALID_CONFIG,
              "no repository '" + name + "' in vigil.yaml on this worker");
        };

    SweepReport report =
        new OrphanSweeper(catalog, noStores, spool, runs, drills, "the test").sweep(false);

    assertThat(report.unresolved()).isEqualTo(1);
    assertThat(report.lines())
        .containsExactly(
            "could not resolve models-lost: no repository 's3mock' in vigil.yaml on this worker");
    assertThat(report.summary()).startsWith("0 orphaned backups resolved, 1 could not be resolved");
    assertThat(status("models-lost")).isEqualTo("RUNNING");
    assertThat(keys()).containsExactly("models/models-lost/data.vgl");
  }

  private void begin(String backupId, String workflowId) {
    catalog.beginBackup(
        new BackupStart(
            backupId, null, MODELS, workflowId, "run-1", "h1", "test", System.currentTimeMillis()));
  }

  private String status(String backupId) {
    return catalog.find(backupId).orElseThrow().status();
  }

  private void put(String key) {
    s3.client().putObject(r -> r.bucket(bucket).key(key), RequestBody.fromString("sealed"));
  }

  private String startUpload(String key) {
    S3Client client = s3.client();
    String uploadId = client.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
    client.uploadPart(
        r -> r.bucket(bucket).key(key).uploadId(uploadId).partNumber(1),
        RequestBody.fromBytes(new byte[1024]));
    return uploadId;
  }

  private void spoolDir(String name) throws IOException {
    Path backupDir = Files.createDirectories(spool.root().resolve(name));
    Files.writeString(backupDir.resolve("data.vgl"), "partial");
  }

  private List<String> keys() {
    return store.list("");
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private List<MultipartUpload> uploads() {
    return s3.client().listMultipartUploads(r -> r.bucket(bucket)).uploads();
  }

  private List<String> spoolEntries() throws IOException {
    try (Stream<Path> entries = Files.list(spool.root())) {
      return entries.map(p -> p.getFileName().toString()).toList();
    }
  }
}
