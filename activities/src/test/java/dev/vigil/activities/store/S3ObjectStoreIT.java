package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.workflows.backup.UploadProgress;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/** {@link S3ObjectStore} against a real S3-compatible server (S3Mock in a child process). */
class S3ObjectStoreIT {

  /** 40 MB: seven full 5 MiB parts and a shorter eighth. */
  private static final long LARGE_FILE_SIZE = 40_000_000L;

  private static final int LARGE_FILE_PARTS = 8;

  private static final ObjectAttributes ATTRIBUTES =
      new ObjectAttributes(
          "STANDARD_IA",
          Map.of("vigil-source", "orders-db", "vigil-kind", "full"),
          Map.of("vigil-sha256", "to-be-checked", "vigil-backup-id", "backup-orders-1"));

  private static S3MockFixture s3mock;
  private static S3RepositoryConfig config;
  private static S3ObjectStore store;
  private static PartCountingInterceptor partCounter;
  private static S3Client countingClient;
  private static S3ObjectStore countingStore;

  @TempDir Path temp;

  @BeforeAll
  static void startS3Mock() {
    s3mock = S3MockFixture.get();
    String bucket = s3mock.newBucket("store-it");
    // One part at a time and read-back verification: the exact order these tests pin down.
    // S3ParallelUploadIT covers the default (parts in parallel, full-object checksums).
    config =
        S3MockFixture.withTransfer(
            withPrefix(s3mock.repositoryConfig(bucket), "vigil/backups"),
            1,
            S3RepositoryConfig.VERIFY_READ_BACK);
    store = new S3ObjectStore(config, s3mock.client());
    // A client of its own that records every UploadPart it sends, to prove what a resume skips.
    partCounter = new PartCountingInterceptor();
    countingClient =
        S3Client.builder()
            .endpointOverride(s3mock.endpoint())
            .region(Region.of(S3MockFixture.REGION))
            .forcePathStyle(true)
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
            .httpClientBuilder(ApacheHttpClient.builder())
            .overrideConfiguration(override -> override.addExecutionInterceptor(partCounter))
            .build();
    countingStore = new S3ObjectStore(config, countingClient);
  }

  @AfterAll
  static void closeCountingClient() {
    countingClient.close();
  }

  @Test
  void aListingGivesEachObjectsSizeAndLastModifiedInKeyOrderUnderItsPrefixOnly()
      throws IOException {
    Instant before = Instant.now().minusSeconds(2);
    store.putFile(randomFile("b.bin", 300, 7), store.key("listing/wal/b"), ATTRIBUTES);
    store.putFile(randomFile("a.bin", 200, 8), store.key("listing/wal/a"), ATTRIBUTES);
    store.putFile(randomFile("c.bin", 100, 9), store.key("listing/walx/c"), ATTRIBUTES);

    List<ListedObject> listed = store.listObjects(store.key("listing/wal") + "/");

    assertThat(listed)
        .extracting(ListedObject::key, ListedObject::size)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(store.key("listing/wal/a"), 200L),
            org.assertj.core.groups.Tuple.tuple(store.key("listing/wal/b"), 300L));
    assertThat(listed)
        .extracting(ListedObject::lastModified)
        .allSatisfy(at -> assertThat(at).isBetween(before, Instant.now().plusSeconds(2)));
    assertThat(store.list(store.key("listing/wal") + "/"))
        .containsExactly(store.key("listing/wal/a"), store.key("listing/wal/b"));
  }

  @Test
  void aFreshUploadAbortsTheUploadsAnEarlierAttemptLeftOfItsKey() throws IOException {
    // An attempt killed before its first heartbeat reached Temporal: its upload id is lost.
    // More than two parts (a smaller file goes in one PUT, and one attempt's PUT leaves nothing).
    Path file = randomFile("stale.bin", 12_000_000L, 4);
    String key = store.key("orders-db/stale-1.dump");
    String stale =
        s3mock.client().createMultipartUpload(r -> r.bucket(config.bucket()).key(key)).uploadId();
    String otherKey = store.key("orders-db/stale-2.dump");
    String other =
        s3mock
            .client()
            .createMultipartUpload(r -> r.bucket(config.bucket()).key(otherKey))
            .uploadId();
    assertThat(store.openUploads(key)).extracting(OpenUpload::uploadId).containsExactly(stale);

    store.uploadFile(file, key, ATTRIBUTES, null, progress -> {});

    assertThat(store.head(key)).as("the object just completed").isPresent();
    assertThat(sha256(store.open(key))).isEqualTo(sha256(file));
    assertThat(store.openUploads(key)).isEmpty();
    assertThat(store.openUploads(otherKey))
        .as("another key's upload is not this upload's business")
        .extracting(OpenUpload::uploadId)
        .containsExactly(other);
    store.abortUpload(new OpenUpload(otherKey, other));
    assertThat(store.openUploads(otherKey)).isEmpty();
  }

  @Test
  void multipartUploadStoresContentStorageClassTagsAndMetadata() throws IOException {
    Path file = randomFile("large.bin", LARGE_FILE_SIZE, 1);
    String key = store.key("orders-db/full-1.dump");
    List<UploadProgress> progress = new ArrayList<>();

    UploadOutcome outcome = store.uploadFile(file, key, ATTRIBUTES, null, progress::add);

    assertThat(outcome).isEqualTo(new UploadOutcome(LARGE_FILE_PARTS, 0, LARGE_FILE_SIZE));
    assertThat(progress)
        .extracting(UploadProgress::partsDone)
        .containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    UploadProgress last = progress.get(progress.size() - 1);
    assertThat(last.objectKey()).isEqualTo(key);
    assertThat(last.uploadId()).isNotBlank();
    assertThat(last.partSize()).isEqualTo(S3MockFixture.PART_SIZE);
    assertThat(last.bytesDone()).isEqualTo(LARGE_FILE_SIZE);

    StoredObject stored = store.head(key).orElseThrow();
    assertThat(stored.size()).isEqualTo(LARGE_FILE_SIZE);
    assertThat(stored.storageClass()).isEqualTo("STANDARD_IA");
    assertThat(stored.metadata()).containsAllEntriesOf(ATTRIBUTES.metadata());
    assertThat(store.tags(key)).isEqualTo(ATTRIBUTES.tags());
    assertThat(sha256(store.open(key))).isEqualTo(sha256(file));
  }

  @Test
  void progressWithinAPartCountsWholePartsAndTheBytesSentSoFar() throws IOException {
    Path file = randomFile("within.bin", LARGE_FILE_SIZE, 9);
    S3ObjectStore everyRead = new S3ObjectStore(config, s3mock.client(), Duration.ZERO);
    List<UploadProgress> parts = new ArrayList<>();
    List<UploadProgress> within = new ArrayList<>();

    everyRead.uploadFile(
        file, store.key("orders-db/within.dump"), ATTRIBUTES, null, parts::add, within::add);

    assertThat(parts).extracting(UploadProgress::partsDone).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(within)
        .allSatisfy(
            progress -> {
              long partStart = progress.partsDone() * S3MockFixture.PART_SIZE;
              assertThat(progress.bytesDone())
                  .isGreaterThan(partStart)
                  .isLessThanOrEqualTo(
                      Math.min(LARGE_FILE_SIZE, partStart + S3MockFixture.PART_SIZE));
              assertThat(progress.uploadId()).isEqualTo(parts.get(0).uploadId());
            })
        .anySatisfy(
            progress -> assertThat(progress.bytesDone() % S3MockFixture.PART_SIZE).isNotEqualTo(0));
    assertThat(within).extracting(UploadProgress::bytesDone).isSorted();
  }

  @Test
  void aHeartbeatThatThrowsWithinAPartIsThrownAfterThePartNotAsAStoreFailure() throws IOException {
    Path file = randomFile("cancelled.bin", LARGE_FILE_SIZE, 10);
    String key = store.key("orders-db/cancelled.dump");
    S3ObjectStore everyRead = new S3ObjectStore(config, s3mock.client(), Duration.ZERO);
    List<UploadProgress> parts = new ArrayList<>();

    assertThatThrownBy(
            () ->
                everyRead.uploadFile(
                    file,
                    key,
                    ATTRIBUTES,
                    null,
                    parts::add,
                    progress -> {
                      throw new WorkerCrash();
                    }))
        .isInstanceOf(WorkerCrash.class);
    assertThat(parts).as("thrown before part 1 was reported").isEmpty();
  }

  @Test
  void uploadResumesFromHeartbeatWithoutResendingParts() throws IOException {
    Path file = randomFile("resumed.bin", LARGE_FILE_SIZE, 2);
    String key = store.key("orders-db/resumed.dump");
    List<UploadProgress> heartbeats = new ArrayList<>();
    partCounter.reset();

    assertThatThrownBy(
            () ->
                countingStore.uploadFile(
                    file, key, ATTRIBUTES, null, failAfterPart(3, heartbeats::add)))
        .isInstanceOf(WorkerCrash.class);
    UploadProgress lastHeartbeat = heartbeats.get(heartbeats.size() - 1);
    assertThat(lastHeartbeat.partsDone()).isEqualTo(3);
    assertThat(lastHeartbeat.bytesDone()).isEqualTo(3 * S3MockFixture.PART_SIZE);
    assertThat(partCounter.partNumbers()).containsExactly(1, 2, 3);
    assertThat(store.head(key)).as("no object before the upload completes").isEmpty();

    partCounter.reset();
    List<UploadProgress> resumedHeartbeats = new ArrayList<>();
    UploadOutcome outcome =
        countingStore.uploadFile(file, key, ATTRIBUTES, lastHeartbeat, resumedHeartbeats::add);

    assertThat(outcome).isEqualTo(new UploadOutcome(LARGE_FILE_PARTS, 3, LARGE_FILE_SIZE));
    assertThat(partCounter.partNumbers()).containsExactly(4, 5, 6, 7, 8);
    assertThat(resumedHeartbeats)
        .allSatisfy(
            heartbeat -> assertThat(heartbeat.uploadId()).isEqualTo(lastHeartbeat.uploadId()))
        .extracting(UploadProgress::partsDone)
        .containsExactly(4, 5, 6, 7, 8);
    assertThat(sha256(store.open(key))).isEqualTo(sha256(file));
    assertThat(store.head(key).orElseThrow().storageClass()).isEqualTo("STANDARD_IA");
    assertThat(store.tags(key)).isEqualTo(ATTRIBUTES.tags());
  }

  @Test
  void uploadWithAbortedUploadIdStartsOver() throws IOException {
    Path file = randomFile("aborted.bin", LARGE_FILE_SIZE, 3);
    String key = store.key("orders-db/aborted.dump");
    List<UploadProgress> heartbeats = new ArrayList<>();
    assertThatThrownBy(
            () -> store.uploadFile(file, key, ATTRIBUTES, null, failAfterPart(2, heartbeats::add)))
        .isInstanceOf(WorkerCrash.class);
    UploadProgress lastHeartbeat = heartbeats.get(heartbeats.size() - 1);
    s3mock
        .client()
        .abortMultipartUpload(
            request -> request.bucket(store.bucket()).key(key).uploadId(lastHeartbeat.uploadId()));

    List<UploadProgress> retryHeartbeats = new ArrayList<>();
    UploadOutcome outcome =
        store.uploadFile(file, key, ATTRIBUTES, lastHeartbeat, retryHeartbeats::add);

    assertThat(outcome).isEqualTo(new UploadOutcome(LARGE_FILE_PARTS, 0, LARGE_FILE_SIZE));
    assertThat(retryHeartbeats.get(0).uploadId()).isNotEqualTo(lastHeartbeat.uploadId());
    assertThat(sha256(store.open(key))).isEqualTo(sha256(file));
  }

  @ParameterizedTest
  @ValueSource(strings = {"3f1c9a52-0d5e-4b7a-9a51-6c0e2f5d8b11", "upload-id-of-a-lost-attempt"})
  void uploadWithUnknownUploadIdStartsOver(String lostUploadId) throws IOException {
    Path file = randomFile("stale.bin", 12_000_000L, 4);
    String key = store.key("orders-db/stale.dump");
    UploadProgress stale = new UploadProgress(key, lostUploadId, S3MockFixture.PART_SIZE, 2, 0, 0);

    UploadOutcome outcome = store.uploadFile(file, key, ATTRIBUTES, stale, progress -> {});

    assertThat(outcome).isEqualTo(new UploadOutcome(3, 0, 12_000_000L));
    assertThat(sha256(store.open(key))).isEqualTo(sha256(file));
  }

  @Test
  void uploadIgnoresHeartbeatOfAnotherKey() throws IOException {
    Path file = randomFile("other.bin", 12_000_000L, 5);
    String key = store.key("orders-db/other.dump");
    UploadProgress otherKey =
        new UploadProgress(store.key("elsewhere"), "some-upload", S3MockFixture.PART_SIZE, 1, 0, 0);

    UploadOutcome outcome = store.uploadFile(file, key, ATTRIBUTES, otherKey, progress -> {});

    assertThat(outcome).isEqualTo(new UploadOutcome(3, 0, 12_000_000L));
    assertThat(sha256(store.open(key))).isEqualTo(sha256(file));
  }

  @Test
  void zeroByteFileUploadsAsEmptyObjectWithAttributes() throws IOException {
    Path file = Files.createFile(temp.resolve("empty.bin"));
    String key = store.key("orders-db/empty.dump");
    List<UploadProgress> progress = new ArrayList<>();

    UploadOutcome outcome = store.uploadFile(file, key, ATTRIBUTES, null, progress::add);

    assertThat(outcome.bytes()).isZero();
    assertThat(progress).hasSize(1);
    StoredObject stored = store.head(key).orElseThrow();
    assertThat(stored.size()).isZero();
    assertThat(stored.storageClass()).isEqualTo("STANDARD_IA");
    assertThat(stored.metadata()).containsAllEntriesOf(ATTRIBUTES.metadata());
    assertThat(store.tags(key)).isEqualTo(ATTRIBUTES.tags());
    try (InputStream content = store.open(key)) {
      assertThat(content.readAllBytes()).isEmpty();
    }
  }

  @Test
  void putFileStoresSmallFileWithAttributes() throws IOException {
    Path file = Files.writeString(temp.resolve("manifest.json"), "{\"backup\":\"orders-1\"}");
    String key = store.key("orders-db/manifest.json");

    store.putFile(file, key, ATTRIBUTES);

    StoredObject stored = store.head(key).orElseThrow();
    assertThat(stored.size()).isEqualTo(Files.size(file));
    assertThat(stored.storageClass()).isEqualTo("STANDARD_IA");
    assertThat(stored.metadata()).containsAllEntriesOf(ATTRIBUTES.metadata());
    assertThat(store.tags(key)).isEqualTo(ATTRIBUTES.tags());
    try (InputStream content = store.open(key)) {
      assertThat(content.readAllBytes()).isEqualTo(Files.readAllBytes(file));
    }
  }

  @Test
  void headOfMissingObjectIsEmpty() {
    assertThat(store.head(store.key("never-written"))).isEmpty();
  }

  @Test
  void openOfMissingObjectFailsNamingTheKey() {
    String key = store.key("never-written");

    assertThatThrownBy(() -> store.open(key))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_NOT_FOUND))
        .hasMessageContaining(key)
        .hasMessageContaining(store.bucket());
  }

  @Test
  void deleteRemovesObjectAndToleratesAbsentOnes() throws IOException {
    Path file = Files.writeString(temp.resolve("doomed.txt"), "doomed");
    String key = store.key("orders-db/doomed.txt");
    store.putFile(file, key, ATTRIBUTES);

    store.delete(key);
    store.delete(key);

    assertThat(store.head(key)).isEmpty();
  }

  @Test
  void checkBucketPassesForExistingBucket() {
    store.checkBucket();
  }

  @Test
  void missingBucketFailsWithRepositoryNotFoundNamingTheBucket() throws IOException {
    S3RepositoryConfig missing =
        S3MockFixture.config("offsite", s3mock.endpoint(), "no-such-bucket-vigil");
    S3ObjectStore missingStore = new S3ObjectStore(missing, s3mock.client());
    Path file = Files.writeString(temp.resolve("small.txt"), "small");

    assertThatThrownBy(missingStore::checkBucket)
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_NOT_FOUND))
        .hasMessage(
            "repository 'offsite': bucket 'no-such-bucket-vigil' does not exist at "
                + s3mock.endpoint()
                + "; create it or fix repositories.offsite.bucket");
    assertThatThrownBy(() -> missingStore.uploadFile(file, "key", ATTRIBUTES, null, progress -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_NOT_FOUND))
        .hasMessageContaining("no-such-bucket-vigil");
  }

  @Test
  void unreachableEndpointFailsWithRepositoryUnavailable() throws IOException {
    URI nobodyListens = URI.create("http://127.0.0.1:" + FreePorts.find());
    S3RepositoryConfig unreachable = S3MockFixture.config("offsite", nobodyListens, "backups");
    Path file = Files.writeString(temp.resolve("small.txt"), "small");

    try (S3Client client = S3Clients.create(unreachable)) {
      S3ObjectStore unreachableStore = new S3ObjectStore(unreachable, client);

      assertThatThrownBy(unreachableStore::checkBucket)
          .isInstanceOfSatisfying(
              VigilException.class,
              e -> {
                assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_UNAVAILABLE);
                assertThat(e.type().retryable()).isTrue();
              })
          .hasMessageContaining("repository 'offsite'")
          .hasMessageContaining(nobodyListens.toString())
          .hasMessageNotContaining("\n");
      assertThatThrownBy(() -> unreachableStore.putFile(file, "manifest.json", ATTRIBUTES))
          .isInstanceOfSatisfying(
              VigilException.class,
              e -> assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_UNAVAILABLE))
          .hasMessageContaining("manifest.json");
    }
  }

  @Test
  void uploadWorksWithCredentialFilesAndWhenRequiredChecksums() throws IOException {
    Path keyId = Files.writeString(temp.resolve("key-id"), "vigil-file-key\n");
    Path secret = Files.writeString(temp.resolve("secret"), "vigil-file-secret\n");
    S3RepositoryConfig base = config;
    S3RepositoryConfig withFiles =
        new S3RepositoryConfig(
            base.name(),
            base.endpoint(),
            base.region(),
            base.bucket(),
            base.prefix(),
            base.storageClass(),
            base.pathStyleAccess(),
            "when-required",
            new SecretRef(null, keyId),
            new SecretRef(null, secret),
            base.partSizeBytes());

    try (S3Client client = S3Clients.create(withFiles)) {
      S3ObjectStore fileCredentialStore = new S3ObjectStore(withFiles, client);
      fileCredentialStore.checkBucket();
      Path file = randomFile("when-required.bin", 6_000_000L, 6);
      String key = store.key("orders-db/when-required.dump");
      fileCredentialStore.uploadFile(file, key, ATTRIBUTES, null, progress -> {});
      assertThat(sha256(fileCredentialStore.open(key))).isEqualTo(sha256(file));
    }
  }

  @Test
  void unsetCredentialVariableFailsNamingItButNoValue() {
    S3RepositoryConfig base = config;
    S3RepositoryConfig withEnv =
        new S3RepositoryConfig(
            base.name(),
            base.endpoint(),
            base.region(),
            base.bucket(),
            base.prefix(),
            base.storageClass(),
            base.pathStyleAccess(),
            base.checksumMode(),
            new SecretRef("VIGIL_IT_UNSET_ACCESS_KEY_ID", null),
            new SecretRef("VIGIL_IT_UNSET_SECRET_ACCESS_KEY", null),
            base.partSizeBytes());

    assertThatThrownBy(() -> S3Clients.create(withEnv))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.INVALID_CONFIG))
        .hasMessageContaining("repository 's3mock'")
        .hasMessageContaining("VIGIL_IT_UNSET_ACCESS_KEY_ID");
  }

  @Test
  void missingSpoolFileFailsWithSpoolMissing() {
    Path file = temp.resolve("gone.dump");

    assertThatThrownBy(
            () -> store.uploadFile(file, store.key("gone.dump"), ATTRIBUTES, null, p -> {}))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.SPOOL_MISSING))
        .hasMessageContaining(file.toString());
  }

  @Test
  void spoolFileVanishingMidUploadFailsWithSpoolMissingAndAbortsTheUpload() throws IOException {
    Path file = randomFile("vanishing.bin", 12_000_000L, 7);
    String key = store.key("orders-db/vanishing.dump");
    List<UploadProgress> heartbeats = new ArrayList<>();
    Consumer<UploadProgress> deleteAfterFirstPart =
        progress -> {
          heartbeats.add(progress);
          try {
            Files.delete(file);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        };

    assertThatThrownBy(() -> store.uploadFile(file, key, ATTRIBUTES, null, deleteAfterFirstPart))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.SPOOL_MISSING))
        .hasMessageContaining(file.toString());
    String uploadId = heartbeats.get(0).uploadId();
    assertThatThrownBy(
            () ->
                s3mock
                    .client()
                    .listParts(
                        request -> request.bucket(store.bucket()).key(key).uploadId(uploadId)))
        .as("the upload was aborted")
        .isInstanceOf(NoSuchUploadException.class);
  }

  @Test
  void keyJoinsPrefixAndRelativeKeyWithOneSlash() {
    S3RepositoryConfig base = S3MockFixture.config("r", s3mock.endpoint(), "b");

    assertThat(new S3ObjectStore(withPrefix(base, ""), s3mock.client()).key("a/b.dump"))
        .isEqualTo("a/b.dump");
    assertThat(new S3ObjectStore(withPrefix(base, "vigil"), s3mock.client()).key("a/b.dump"))
        .isEqualTo("vigil/a/b.dump");
    assertThat(new S3ObjectStore(withPrefix(base, "vigil/"), s3mock.client()).key("/a/b.dump"))
        .isEqualTo("vigil/a/b.dump");
  }

  @Test
  void partSizeGrowsSoLargeFilesFitInNineThousandParts() {
    S3RepositoryConfig base = S3MockFixture.config("r", s3mock.endpoint(), "b");
    S3ObjectStore configuredSmall = new S3ObjectStore(withPartSize(base, 1024), s3mock.client());
    S3ObjectStore unset = new S3ObjectStore(withPartSize(base, 0), s3mock.client());
    long oneTebibyte = 1L << 40;

    assertThat(configuredSmall.partSizeFor(1000)).isEqualTo(S3ObjectStore.MIN_PART_SIZE);
    assertThat(unset.partSizeFor(1000)).isEqualTo(S3ObjectStore.DEFAULT_PART_SIZE);
    assertThat(unset.partSizeFor(oneTebibyte)).isEqualTo((oneTebibyte + 8999) / 9000);
  }

  /** What a worker dying mid-upload looks like to the store: the progress callback throws. */
  private static final class WorkerCrash extends RuntimeException {
    WorkerCrash() {
      super("worker died");
    }
  }

  private static Consumer<UploadProgress> failAfterPart(
      int partsDone, Consumer<UploadProgress> heartbeat) {
    return progress -> {
      heartbeat.accept(progress);
      if (progress.partsDone() == partsDone) {
        throw new WorkerCrash();
      }
    };
  }

  /** Records the part number of every UploadPart request the client sends. */
  private static final class PartCountingInterceptor implements ExecutionInterceptor {
    private final List<Integer> partNumbers = new CopyOnWriteArrayList<>();

    @Override
    public void beforeExecution(
        Context.BeforeExecution context, ExecutionAttributes executionAttributes) {
      if (context.request() instanceof UploadPartRequest uploadPart) {
        partNumbers.add(uploadPart.partNumber());
      }
    }

    List<Integer> partNumbers() {
      return List.copyOf(partNumbers);
    }

    void reset() {
      partNumbers.clear();
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

  private static String sha256(Path file) throws IOException {
    return sha256(Files.newInputStream(file));
  }

  /** Reads and closes {@code content}. */
  private static String sha256(InputStream content) throws IOException {
    try (DigestInputStream digesting = new DigestInputStream(content, newSha256())) {
      digesting.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(digesting.getMessageDigest().digest());
    }
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static S3RepositoryConfig withPrefix(S3RepositoryConfig config, String prefix) {
    return new S3RepositoryConfig(
        config.name(),
        config.endpoint(),
        config.region(),
        config.bucket(),
        prefix,
        config.storageClass(),
        config.pathStyleAccess(),
        config.checksumMode(),
        config.accessKeyId(),
        config.secretAccessKey(),
        config.partSizeBytes());
  }

  private static S3RepositoryConfig withPartSize(S3RepositoryConfig config, long partSize) {
    return new S3RepositoryConfig(
        config.name(),
        config.endpoint(),
        config.region(),
        config.bucket(),
        config.prefix(),
        config.storageClass(),
        config.pathStyleAccess(),
        config.checksumMode(),
        config.accessKeyId(),
        config.secretAccessKey(),
        partSize);
  }
}
