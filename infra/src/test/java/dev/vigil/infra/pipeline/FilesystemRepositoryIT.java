package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.config.FilesystemRepositoryConfig;
import dev.vigil.activities.restore.FreshClusters;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import io.temporal.client.WorkflowFailedException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline (dump, seal, upload, verify, catalog; then select, download, verify, decrypt,
 * restore, validate) with a {@code type: filesystem} repository instead of S3: the same workflows
 * and activities, only the store differs.
 */
class FilesystemRepositoryIT {
  @TempDir static Path dir;

  private static PipelineHarness harness;
  private static Path repository;
  private static PlanResult backup;
  private static long clock = 1_900_000_000_000L;

  @BeforeAll
  static void backUpIntoADirectory() throws Exception {
    harness = new PipelineHarness(dir);
    repository = Files.createDirectories(dir.resolve("backup-disk"));
    backup = harness.run(harness.load(filesystemConfig()), List.of());
  }

  @AfterAll
  static void stop() {
    harness.close();
  }

  /** The harness's config with its S3 repository replaced by a directory. */
  private static String filesystemConfig() {
    return harness.filesystemConfig(repository);
  }

  @Test
  void everySourceIsBackedUpAsVerifiedFilesInTheDirectory() throws IOException {
    assertThat(backup.complete()).isTrue();
    assertThat(backup.results()).extracting(SourceBackupResult::source).hasSize(2);
    for (SourceBackupResult result : backup.results()) {
      assertThat(result.status()).isEqualTo("ARCHIVED");
      Path object = repository.resolve(result.objectKey());
      assertThat(object).isRegularFile();
      assertThat(Files.readString(object.resolveSibling(object.getFileName() + ".vigil-meta")))
          .contains("\"storageClass\":\"STANDARD\"");
    }
    assertThat(harness.catalog())
        .allSatisfy(
            row -> {
              assertThat(row.status()).isEqualTo("ARCHIVED");
              assertThat(row.bucket()).isEqualTo(repository.toString());
            });
    try (Stream<Path> files = Files.walk(repository)) {
      assertThat(files.map(Path::toString)).noneMatch(name -> name.contains(".vigil-partial-"));
    }
  }

  @Test
  void theDatabaseAndTheDirectoryAreRestoredFromTheDirectory() throws Exception {
    harness.startWorker(harness.load(filesystemConfig()));
    Path target = dir.resolve("restored-models");

    RestoreResult models =
        restore(RestoreSelector.latest("models"), RestoreTarget.directory(target.toString()));
    RestoreResult database =
        restore(
            RestoreSelector.latest("appdb"),
            new RestoreTarget("fresh-cluster", null, 0, null, null, null, null));

    assertThat(models.status()).isEqualTo("RESTORED");
    assertThat(tree(target)).isEqualTo(tree(dir.resolve("models")));
    try {
      assertThat(database.status()).isEqualTo("RESTORED");
      assertThat(database.validation().checks())
          .contains("public.conversations: 5000 rows as recorded");
      assertThat(database.validation().failures()).isEmpty();
    } finally {
      FreshClusters.shared().stop(lastRestoreId);
    }
  }

  @Test
  void aFlippedByteInTheStoredFileIsCorruptAndNothingIsRestored() throws Exception {
    harness.startWorker(harness.load(filesystemConfig()));
    String key =
        backup.results().stream()
            .filter(result -> result.source().name().equals("models"))
            .findFirst()
            .orElseThrow()
            .objectKey();
    Path object = repository.resolve(key);
    byte[] original = Files.readAllBytes(object);
    byte[] flipped = original.clone();
    flipped[flipped.length / 2] ^= 0x01;
    Files.write(object, flipped);
    Path target = dir.resolve("never");
    try {
      assertThatThrownBy(
              () ->
                  restore(
                      RestoreSelector.latest("models"), RestoreTarget.directory(target.toString())))
          .isInstanceOf(WorkflowFailedException.class)
          .satisfies(
              failure -> {
                assertThat(Failures.type(failure)).isEqualTo("OBJECT_CORRUPT");
                assertThat(Failures.reason(failure)).contains(key);
              });
    } finally {
      Files.write(object, original);
    }
    assertThat(target).doesNotExist();
  }

  @Test
  void aRepositoryPathThatIsNotThereIsOneLineNamingRepositoryAndPath() throws IOException {
    Path missing = dir.resolve("not-mounted");
    String yaml = filesystemConfig().replace("path: " + repository, "path: " + missing);

    assertThatThrownBy(() -> harness.load(yaml))
        .hasMessageContaining("repositories.main at line ")
        .hasMessageContaining(missing + " does not exist; create it (mkdir -p " + missing + ")");
    assertThat(new FilesystemRepositoryConfig("main", missing).localProblem()).isNotNull();
  }

  private static String lastRestoreId;

  private static RestoreResult restore(RestoreSelector selector, RestoreTarget target) {
    RestoreClient client =
        new RestoreClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    lastRestoreId =
        client.start(new RestoreRequest(selector, target, false, 2, "fs-it"), clock += 1000);
    return client.await(lastRestoreId);
  }

  private static List<String> tree(Path root) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path path : walk.filter(p -> !p.equals(root)).sorted().toList()) {
        String relative = root.relativize(path).toString();
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
          lines.add(relative + "/");
        } else {
          try (InputStream in = Files.newInputStream(path)) {
            lines.add(relative + " " + Files.size(path) + " " + Digests.sha256Hex(in));
          }
        }
      }
    }
    return lines;
  }
}
