package dev.vigil.activities.restore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.S3RepositoryConfig;
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
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/**
 * {@link BackupDownloader} against S3Mock: an object shorter than the catalog says is corruption
 * that no retry fixes, reported at once, while a whole object still downloads.
 */
class BackupDownloaderIT {
  private static final int SIZE = 300_000;

  /** Five 8 MiB ranges, the last one shorter. */
  private static final int LARGE = 40_000_000;

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

  @Test
  void aLargeObjectComesInParallelRangesHashedInOrderWhateverOrderTheyFinishIn() throws Exception {
    byte[] large = new byte[LARGE];
    new Random(9).nextBytes(large);
    String key = put("parallel/data.vgl", large);
    Path file = temp.resolve("spool/parallel.vgl");
    List<String> ranges = new CopyOnWriteArrayList<>();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    // The first range is held back, so later ranges land on disk before it.
    try (S3Client client = rangeRecordingClient(ranges, inFlight, maxInFlight, "bytes=0-")) {
      S3ObjectStore parallel = parallelStore(client);

      DownloadResult result =
          new BackupDownloader().download(parallel, key, file, LARGE, null, p -> {});

      assertThat(result.sha256()).isEqualTo(Digests.sha256Hex(new ByteArrayInputStream(large)));
      assertThat(result.bytes()).isEqualTo(LARGE);
      assertThat(Files.readAllBytes(file)).isEqualTo(large);
      assertThat(ranges).hasSize(5).contains("bytes=0-8388607", "bytes=33554432-39999999");
      assertThat(maxInFlight.get()).isBetween(2, 4);
    }
  }

  @Test
  void aParallelDownloadResumesFromTheHeartbeatsPrefixAndDropsWhatCameAfterIt() throws Exception {
    byte[] large = new byte[LARGE];
    new Random(10).nextBytes(large);
    String key = put("resumed/data.vgl", large);
    Path file = temp.resolve("spool/resumed.vgl");
    Files.createDirectories(file.getParent());
    // The crashed attempt's file: 16 MiB it reported, then a range it wrote but never reported.
    byte[] crashed = Arrays.copyOf(large, 24 << 20);
    Arrays.fill(crashed, 16 << 20, 24 << 20, (byte) 7);
    Files.write(file, crashed);
    List<String> ranges = new CopyOnWriteArrayList<>();
    List<DownloadProgress> heartbeats = new CopyOnWriteArrayList<>();
    try (S3Client client =
        rangeRecordingClient(ranges, new AtomicInteger(), new AtomicInteger(), null)) {
      DownloadResult result =
          new BackupDownloader()
              .download(
                  parallelStore(client),
                  key,
                  file,
                  LARGE,
                  new DownloadProgress(key, 16 << 20, LARGE),
                  heartbeats::add);

      assertThat(result.resumedFromBytes()).isEqualTo(16 << 20);
      assertThat(result.sha256()).isEqualTo(Digests.sha256Hex(new ByteArrayInputStream(large)));
      assertThat(Files.readAllBytes(file)).isEqualTo(large);
      assertThat(ranges)
          .as("nothing before the reported prefix is fetched again")
          .containsExactlyInAnyOrder(
              "bytes=16777216-25165823", "bytes=25165824-33554431", "bytes=33554432-39999999");
      assertThat(heartbeats.get(heartbeats.size() - 1).bytesDone()).isEqualTo(LARGE);
    }
  }

  private static S3ObjectStore parallelStore(S3Client client) {
    return new S3ObjectStore(
        S3MockFixture.withTransfer(
            s3mock.repositoryConfig(bucket), 4, S3RepositoryConfig.VERIFY_CHECKSUM),
        client);
  }

  /**
   * A client that records the Range of every GET and how many were in flight at once, and holds the
   * GET of range {@code slow} back for half a second.
   */
  private static S3Client rangeRecordingClient(
      List<String> ranges, AtomicInteger inFlight, AtomicInteger maxInFlight, String slow) {
    ExecutionInterceptor recorder =
        new ExecutionInterceptor() {
          @Override
          public void beforeExecution(
              Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof GetObjectRequest get && get.range() != null) {
              ranges.add(get.range());
              maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
              if (get.range().startsWith(String.valueOf(slow))) {
                try {
                  Thread.sleep(500);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            }
          }

          @Override
          public void afterExecution(
              Context.AfterExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof GetObjectRequest get && get.range() != null) {
              inFlight.decrementAndGet();
            }
          }
        };
    return s3mock.clientWith(recorder);
  }

  private static String put(String relativeKey, byte[] bytes) {
    String key = store.key(relativeKey);
    s3mock.client().putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bytes));
    return key;
  }
}
