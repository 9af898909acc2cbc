package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Crc64Nvme;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.workflows.backup.UploadProgress;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * The default S3 upload against S3Mock over HTTP: several parts in flight, parts finishing out of
 * order, resumes that send only what the store lacks, and the CRC64NVME full-object checksum the
 * store checks.
 */
class S3ParallelUploadIT {
  /** Eight parts: seven of 5 MiB and a shorter last one. */
  private static final long SIZE = 7 * S3MockFixture.PART_SIZE + 1_234_567;

  private static final int PARTS = 8;
  private static final ObjectAttributes ATTRIBUTES =
      new ObjectAttributes("STANDARD", Map.of("vigil-source", "orders-db"), Map.of());

  private static S3MockFixture s3mock;
  private static PartInterceptor parts;
  private static S3Client client;
  private static S3RepositoryConfig base;

  @TempDir Path temp;

  @BeforeAll
  static void startS3Mock() {
    s3mock = S3MockFixture.get();
    base = s3mock.repositoryConfig(s3mock.newBucket("parallel"));
    parts = new PartInterceptor();
    client = s3mock.clientWith(parts);
  }

  @AfterAll
  static void closeClient() {
    client.close();
  }

  @BeforeEach
  void resetParts() {
    parts.reset();
  }

  private static S3ObjectStore store(int concurrency, String verify) {
    return new S3ObjectStore(S3MockFixture.withTransfer(base, concurrency, verify), client);
  }

  @Test
  void partsGoUpSeveralAtOnceButNeverMoreThanTheConcurrency() throws IOException {
    Path file = randomFile("several.bin", SIZE, 1);
    S3ObjectStore store = store(3, S3RepositoryConfig.VERIFY_CHECKSUM);
    String key = "several.vgl";

    UploadOutcome outcome = store.uploadFile(file, key, ATTRIBUTES, null, progress -> {});

    assertThat(parts.maxInFlight()).isBetween(2, 3);
    assertThat(new TreeSet<>(parts.sent())).containsExactlyElementsOf(all());
    assertThat(outcome.parts()).isEqualTo(PARTS);
    assertThat(sha256(store, key)).isEqualTo(sha256(file));
    String crc = Crc64Nvme.base64(Crc64Nvme.of(Files.readAllBytes(file)));
    assertThat(outcome.crc64nvme()).isEqualTo(crc);
    assertThat(store.fullObjectChecksum(key)).contains(new StoredChecksum(SIZE, crc));
  }

  @Test
  void aPartThatFinishesLastHoldsTheHeartbeatAtTheUnbrokenPrefix() throws IOException {
    Path file = randomFile("gap.bin", SIZE, 2);
    S3ObjectStore store = store(4, S3RepositoryConfig.VERIFY_CHECKSUM);
    List<UploadProgress> heartbeats = new CopyOnWriteArrayList<>();
    CountDownLatch release = parts.hold(1);

    store.uploadFile(
        file,
        "gap.vgl",
        ATTRIBUTES,
        null,
        progress -> {
          heartbeats.add(progress);
          if (heartbeats.size() == 3) {
            release.countDown(); // parts 2, 3 and 4 are in; now part 1 may finish
          }
        });

    assertThat(heartbeats.subList(0, 3))
        .extracting(UploadProgress::partsDone, UploadProgress::bytesDone)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(0, S3MockFixture.PART_SIZE),
            org.assertj.core.groups.Tuple.tuple(0, 2 * S3MockFixture.PART_SIZE),
            org.assertj.core.groups.Tuple.tuple(0, 3 * S3MockFixture.PART_SIZE));
    assertThat(heartbeats).extracting(UploadProgress::partsDone).isSorted();
    UploadProgress last = heartbeats.get(heartbeats.size() - 1);
    assertThat(last.partsDone()).isEqualTo(PARTS);
    assertThat(last.bytesDone()).isEqualTo(SIZE);
    assertThat(sha256(store, "gap.vgl")).isEqualTo(sha256(file));
  }

  @Test
  void aCrashWithPartsPastAGapResumesSendingOnlyThePartsTheStoreLacks() throws IOException {
    Path file = randomFile("crash.bin", SIZE, 3);
    S3ObjectStore store = store(4, S3RepositoryConfig.VERIFY_CHECKSUM);
    String key = "crash.vgl";
    List<UploadProgress> heartbeats = new CopyOnWriteArrayList<>();
    CountDownLatch release = parts.hold(1);

    assertThatThrownBy(
            () ->
                store.uploadFile(
                    file,
                    key,
                    ATTRIBUTES,
                    null,
                    progress -> {
                      heartbeats.add(progress);
                      release.countDown();
                      throw new WorkerCrash();
                    }))
        .isInstanceOf(WorkerCrash.class);
    // The only heartbeat: a later part is in, part 1 was not yet.
    assertThat(heartbeats).hasSize(1);
    assertThat(heartbeats.get(0).partsDone()).isZero();
    List<Integer> firstAttempt = parts.sent();
    assertThat(firstAttempt).containsExactlyInAnyOrder(1, 2, 3, 4);
    parts.reset();

    UploadOutcome outcome = store.uploadFile(file, key, ATTRIBUTES, heartbeats.get(0), p -> {});

    assertThat(parts.sent()).containsExactlyInAnyOrder(5, 6, 7, 8);
    assertThat(outcome.resumedParts()).isEqualTo(4);
    assertThat(sha256(store, key)).isEqualTo(sha256(file));
    assertThat(store.fullObjectChecksum(key).orElseThrow().crc64nvme())
        .isEqualTo(Crc64Nvme.base64(Crc64Nvme.of(Files.readAllBytes(file))));
  }

  @Test
  void aCancelledHeartbeatWithinPartsStopsTheUploadAndTheRetrySendsOnlyMissingParts()
      throws IOException {
    Path file = randomFile("within.bin", SIZE, 4);
    S3ObjectStore store =
        new S3ObjectStore(
            S3MockFixture.withTransfer(base, 3, S3RepositoryConfig.VERIFY_CHECKSUM),
            client,
            java.time.Duration.ZERO);
    String key = "within.vgl";
    List<UploadProgress> heartbeats = new CopyOnWriteArrayList<>();

    assertThatThrownBy(
            () ->
                store.uploadFile(
                    file,
                    key,
                    ATTRIBUTES,
                    null,
                    heartbeats::add,
                    progress -> {
                      heartbeats.add(progress);
                      if (progress.bytesDone() > 2 * S3MockFixture.PART_SIZE + 1) {
                        throw new WorkerCrash();
                      }
                    }))
        .isInstanceOf(WorkerCrash.class);
    List<Integer> firstAttempt = parts.sent();
    assertThat(firstAttempt).hasSizeBetween(1, PARTS - 1);
    parts.reset();

    UploadOutcome outcome =
        store.uploadFile(file, key, ATTRIBUTES, heartbeats.get(heartbeats.size() - 1), p -> {});

    List<Integer> secondAttempt = parts.sent();
    assertThat(secondAttempt).doesNotContainAnyElementsOf(firstAttempt);
    List<Integer> together = new ArrayList<>(firstAttempt);
    together.addAll(secondAttempt);
    assertThat(together).containsExactlyInAnyOrderElementsOf(all());
    assertThat(outcome.resumedParts()).isEqualTo(firstAttempt.size());
    assertThat(sha256(store, key)).isEqualTo(sha256(file));
  }

  @Test
  void aSpoolFileChangedSinceSealingIsNeverCompleted() throws IOException {
    Path file = randomFile("changed.bin", SIZE, 5);
    String sealedSha256 = sha256(file);
    flipByte(file, SIZE - 10); // bit rot after the seal: same size, other bytes
    S3ObjectStore store = store(4, S3RepositoryConfig.VERIFY_CHECKSUM);
    String key = "changed.vgl";

    assertThatThrownBy(
            () ->
                store.uploadFile(
                    file,
                    key,
                    new ObjectAttributes("STANDARD", Map.of(), Map.of(), sealedSha256),
                    null,
                    p -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.SPOOL_MISSING);
              assertThat(e.getMessage())
                  .contains("no longer has the SHA-256 it was sealed with")
                  .contains(file.toString());
            });
    assertThat(store.head(key)).isEmpty();
    assertThat(store.openUploads(key)).as("aborted: no retry can fix it").isEmpty();
  }

  @Test
  void theStoreRefusesPartsAndObjectsWhoseCrc64DoesNotMatchTheirBytes() {
    // What checksum verification stands on: S3Mock computes the CRC64NVME itself.
    byte[] part1 = new byte[(int) S3MockFixture.PART_SIZE];
    byte[] part2 = new byte[1000];
    new Random(6).nextBytes(part1);
    new Random(7).nextBytes(part2);
    long crc1 = Crc64Nvme.of(part1);
    long crc2 = Crc64Nvme.of(part2);
    String key = "refused.vgl";
    String uploadId =
        client
            .createMultipartUpload(
                request ->
                    request
                        .bucket(base.bucket())
                        .key(key)
                        .checksumAlgorithm(ChecksumAlgorithm.CRC64_NVME)
                        .checksumType(ChecksumType.FULL_OBJECT))
            .uploadId();

    assertThatThrownBy(
            () ->
                client.uploadPart(
                    request ->
                        request
                            .bucket(base.bucket())
                            .key(key)
                            .uploadId(uploadId)
                            .partNumber(1)
                            .checksumCRC64NVME(Crc64Nvme.base64(crc1 ^ 1)),
                    RequestBody.fromBytes(part1)))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(400));
    String etag1 = uploadPart(key, uploadId, 1, part1, crc1);
    String etag2 = uploadPart(key, uploadId, 2, part2, crc2);
    List<CompletedPart> completed =
        List.of(
            CompletedPart.builder()
                .partNumber(1)
                .eTag(etag1)
                .checksumCRC64NVME(Crc64Nvme.base64(crc1))
                .build(),
            CompletedPart.builder()
                .partNumber(2)
                .eTag(etag2)
                .checksumCRC64NVME(Crc64Nvme.base64(crc2))
                .build());
    long whole = Crc64Nvme.combine(crc1, crc2, part2.length);

    assertThatThrownBy(() -> complete(key, uploadId, completed, whole ^ 1))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(400));
    complete(key, uploadId, completed, whole);
    assertThat(store(1, S3RepositoryConfig.VERIFY_CHECKSUM).fullObjectChecksum(key))
        .contains(new StoredChecksum(part1.length + part2.length, Crc64Nvme.base64(whole)));
  }

  @Test
  void aReadBackRepositoryUploadsInParallelWithoutAFullObjectChecksum() throws IOException {
    Path file = randomFile("readback.bin", SIZE, 8);
    S3ObjectStore store = store(4, S3RepositoryConfig.VERIFY_READ_BACK);

    UploadOutcome outcome = store.uploadFile(file, "readback.vgl", ATTRIBUTES, null, p -> {});

    assertThat(outcome.crc64nvme()).isNull();
    assertThat(parts.maxInFlight()).isGreaterThan(1);
    assertThat(store.fullObjectChecksum("readback.vgl")).isEmpty();
    assertThat(sha256(store, "readback.vgl")).isEqualTo(sha256(file));
  }

  private String uploadPart(String key, String uploadId, int number, byte[] bytes, long crc) {
    return client
        .uploadPart(
            request ->
                request
                    .bucket(base.bucket())
                    .key(key)
                    .uploadId(uploadId)
                    .partNumber(number)
                    .checksumCRC64NVME(Crc64Nvme.base64(crc)),
            RequestBody.fromBytes(bytes))
        .eTag();
  }

  private void complete(String key, String uploadId, List<CompletedPart> completed, long crc) {
    client.completeMultipartUpload(
        request ->
            request
                .bucket(base.bucket())
                .key(key)
                .uploadId(uploadId)
                .checksumCRC64NVME(Crc64Nvme.base64(crc))
                .checksumType(ChecksumType.FULL_OBJECT)
                .multipartUpload(upload -> upload.parts(completed)));
  }

  private static List<Integer> all() {
    return IntStream.rangeClosed(1, PARTS).boxed().toList();
  }

  private static String sha256(S3ObjectStore store, String key) throws IOException {
    try (InputStream in = store.open(key)) {
      return Digests.sha256Hex(in);
    }
  }

  private static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return Digests.sha256Hex(in);
    }
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer one = ByteBuffer.allocate(1);
      channel.read(one, offset);
      one.put(0, (byte) (one.get(0) ^ 0x40)).rewind();
      channel.write(one, offset);
    }
  }

  private Path randomFile(String name, long size, long seed) throws IOException {
    Path file = temp.resolve(name);
    Random random = new Random(seed);
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long written = 0; written < size; written += chunk.length) {
        random.nextBytes(chunk);
        out.write(chunk, 0, (int) Math.min(chunk.length, size - written));
      }
    }
    return file;
  }

  /** What a worker dying mid-upload looks like to the store: a progress callback throws. */
  private static final class WorkerCrash extends RuntimeException {
    WorkerCrash() {
      super("worker died");
    }
  }

  /**
   * Records every UploadPart the client sends and how many were in flight at once, and can hold one
   * part back until a latch opens (at most 30 s), so parts finish out of order.
   */
  private static final class PartInterceptor implements ExecutionInterceptor {
    private final List<Integer> sent = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile int heldPart;
    private volatile CountDownLatch held = new CountDownLatch(0);

    @Override
    public void beforeExecution(
        Context.BeforeExecution context, ExecutionAttributes executionAttributes) {
      if (context.request() instanceof UploadPartRequest uploadPart) {
        sent.add(uploadPart.partNumber());
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        if (uploadPart.partNumber() == heldPart) {
          try {
            held.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    }

    @Override
    public void afterExecution(
        Context.AfterExecution context, ExecutionAttributes executionAttributes) {
      if (context.request() instanceof UploadPartRequest) {
        inFlight.decrementAndGet();
      }
    }

    @Override
    public void onExecutionFailure(
        Context.FailedExecution context, ExecutionAttributes executionAttributes) {
      if (context.request() instanceof UploadPartRequest) {
        inFlight.decrementAndGet();
      }
    }

    CountDownLatch hold(int partNumber) {
      held = new CountDownLatch(1);
      heldPart = partNumber;
      return held;
    }

    List<Integer> sent() {
      return List.copyOf(sent);
    }

    int maxInFlight() {
      return maxInFlight.get();
    }

    void reset() {
      sent.clear();
      inFlight.set(0);
      maxInFlight.set(0);
      heldPart = 0;
      held = new CountDownLatch(0);
    }
  }
}
