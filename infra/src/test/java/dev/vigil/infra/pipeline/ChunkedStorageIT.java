package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.config.VigilConfig;
import dev.vigil.starter.BackupClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What a second chunked backup adds to the bucket when 1 % of many small files changed: the
 * benchmark's text tree ({@code bench/speed-data.py}), two backups through the real pipeline, every
 * object the second one added listed with its size.
 */
class ChunkedStorageIT {
  private static final AtomicLong CLOCK = new AtomicLong(System.currentTimeMillis());

  /** Files in the generated tree; the benchmark uses 20,000 ({@code -Dvigil.storage.files}). */
  private static final int FILES = Integer.getInteger("vigil.storage.files", 2_000);

  @TempDir Path dir;
  private PipelineHarness harness;
  private Path tree;

  @BeforeEach
  void start() throws IOException {
    harness = new PipelineHarness(dir);
    tree = Files.createDirectories(dir.resolve("tree"));
  }

  @AfterEach
  void stop() {
    harness.close();
  }

  @Test
  void aSecondBackupAfterOnePercentOfSmallFilesChangedAddsLittleMoreThanTheChangedData()
      throws Exception {
    speedData("files", FILES);
    BackupClient backups = startWorker();
    backup(backups);
    Map<String, Long> before = objects();
    speedData("change", FILES / 100);
    backup(backups);
    Map<String, Long> added = new LinkedHashMap<>(objects());
    added.keySet().removeAll(before.keySet());
    long total = added.values().stream().mapToLong(Long::longValue).sum();
    added.forEach((key, size) -> System.out.printf("added %10d %s%n", size, key));
    System.out.printf("added %10d in total (%d files, %d changed)%n", total, FILES, FILES / 100);
  }

  private void speedData(String command, int count) throws Exception {
    Process process =
        new ProcessBuilder(
                "python3",
                Path.of("..", "bench", "speed-data.py").toString(),
                command,
                tree.toString(),
                String.valueOf(count))
            .inheritIO()
            .start();
    assertThat(process.waitFor()).isZero();
  }

  private BackupClient startWorker() throws IOException {
    String yaml =
        harness
            .config(
                harness.bucket,
                harness.postgres.cluster().port(),
                harness.postgres.passwordFile().toString(),
                tree.toString(),
                harness.spool)
            .replace("    kind: model\n", "    kind: model\n    layout: chunked\n");
    VigilConfig config = harness.load(yaml);
    BackupClient backups = harness.startWorker(config);
    harness.services().catalog().migrate();
    return backups;
  }

  private static String backup(BackupClient backups) {
    PlanResult plan =
        backups.await(backups.start("test", List.of("models"), CLOCK.addAndGet(1000), "test"));
    SourceBackupResult result = plan.results().get(0);
    assertThat(result.status()).as(String.valueOf(result)).isEqualTo("ARCHIVED");
    return result.backupId();
  }

  /** Every object in the bucket, by key, with its size. */
  private Map<String, Long> objects() {
    Map<String, Long> objects = new LinkedHashMap<>();
    for (S3Object object :
        harness.s3.client().listObjectsV2Paginator(b -> b.bucket(harness.bucket)).contents()) {
      objects.put(object.key(), object.size());
    }
    return objects;
  }
}
