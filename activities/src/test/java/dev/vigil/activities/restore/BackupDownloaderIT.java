package dev.vigil.activities.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.store.S3ObjectStore;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.DownloadProgress;
import dev.vigil.workflows.restore.DownloadResult;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * {@link BackupDownloader} against S3Mock: an object shorter than the catalog says is corruption
 * that no retry fixes, reported at once, while a whole object still downloads.
 */
class BackupDownloaderIT {
  private static final int SIZE = 300_000;

  private static S3MockFixture s3mock;
  private static String bucket;
  private static S3ObjectStore store;
  private static byte[] content;

  @TempDir Path temp;

  @BeforeAll
  static void startS3Mock() {
    s3mock = S3MockFixture.get();
    bucket = s3mock.newBucket("download-it");
    store = s3mock.objectStore(bucket);
    content = new byte[SIZE];
    new Random(5).nextBytes(content);
  }

  @Test
  void aWholeObjectDownloadsWithItsSha256() throws Exception {
    String key = put("whole/data.vgl", content);
    Path file = temp.resolve("spool/data.vgl");

    DownloadResult result = new BackupDownloader().download(store, key, file, SIZE, null, p -> {});

    assertThat(result.bytes()).isEqualTo(SIZE);
    assertThat(result.sha256()).isEqualTo(Digests.sha256Hex(new ByteArrayInputStream(content)));
    assertThat(Files.readAllBytes(file)).isEqualTo(content);
  }

  @Test
  void anObjectReplacedByAShorterCopyIsCorruptBeforeAnythingIsDownloaded() {
    String key = put("replaced/data.vgl", Arrays.copyOf(content, 1000));
    Path file = temp.resolve("spool/data.vgl");

    assertThatThrownBy(() -> new BackupDownloader().download(store, key, file, SIZE, null, p -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.OBJECT_CORRUPT);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "repository 's3mock': object '"
                          + key
                          + "' in bucket '"
                          + bucket
                          + "' is 1000 bytes but the catalog recorded 300000 (truncated or"
                          + " replaced: a broken disk or tampering); nothing was downloaded,"
                          + " restore another backup");
            });
    assertThat(file).doesNotExist();
  }

  @Test
  void aBodyEndingEarlyAtTheSizeTheStoreReportsIsCorruptAtOnce() throws Exception {
    String key = put("broken-disk/data.vgl", content);
    // HEAD still says 300000 (the store's metadata); the bytes behind it end at 120000.
    s3mock.truncateOnDisk(bucket, key, 120_000);
    Path file = temp.resolve("spool/data.vgl");
    long started = System.nanoTime();

    assertThatThrownBy(() -> new BackupDownloader().download(store, key, file, SIZE, null, p -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.OBJECT_CORRUPT);
              assertThat(e.getMessage())
                  .contains("object '" + key + "'")
                  .contains("is 120000 bytes but the catalog recorded 300000");
            });
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void aResumePastTheEndOfAShortenedObjectIsCorrupt() throws Exception {
    String key = put("shrunk/data.vgl", content);
    s3mock.truncateOnDisk(bucket, key, 100_000);
    Path file = temp.resolve("spool/data.vgl");
    Files.createDirectories(file.getParent());
    Files.write(file, Arrays.copyOf(content, 200_000));

    assertThatThrownBy(
            () ->
                new BackupDownloader()
                    .download(
                        store, key, file, SIZE, new DownloadProgress(key, 200_000, SIZE), p -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.OBJECT_CORRUPT);
              assertThat(e.getMessage()).contains("but the catalog recorded 300000");
            });
  }

  private static String put(String relativeKey, byte[] bytes) {
    String key = store.key(relativeKey);
    s3mock.client().putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bytes));
    return key;
  }
}
