package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.storage.blob.models.BlockList;
import com.azure.storage.blob.models.BlockListType;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.AzureRepositoryConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.testing.AzuriteFixture;
import dev.vigil.workflows.backup.UploadProgress;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link AzureObjectStore} against a real Azure Storage emulator (Azurite in a child process). */
class AzureObjectStoreIT {

  /** 5.5 MiB: five full 1 MiB blocks and a half one. */
  private static final long FILE_SIZE = 5L * 1024 * 1024 + 512 * 1024;

  private static final int BLOCKS = 6;

  private static final ObjectAttributes ATTRIBUTES =
      new ObjectAttributes(
          "STANDARD_IA",
          Map.of("vigil-source", "orders-db", "vigil-kind", "full"),
          Map.of("vigil-sha256", "to-be-checked", "vigil-backup-id", "backup-orders-1"));

  private static AzuriteFixture azurite;
  private static String container;
  private static AzureObjectStore store;

  @TempDir Path temp;

  @BeforeAll
  static void startAzurite() {
    azurite = AzuriteFixture.get();
    container = azurite.newContainer("store-it");
    AzureRepositoryConfig base = azurite.config(container);
    store =
        AzureObjectStore.open(
            new AzureRepositoryConfig(
                base.name(),
                base.account(),
                base.container(),
                base.endpoint(),
                "/vigil/backups/",
                base.accessTier(),
                base.accountKey(),
                base.sasToken(),
                base.connectionString(),
                base.blockSizeBytes()),
            AzuriteFixture.secrets());
  }

  @Test
  void uploadStagesBlocksAndCommitsContentTierTagsAndMetadata() throws IOException {
    Path file = randomFile("blocks.bin", FILE_SIZE, 1);
    String key = store.key("orders-db/blocks.bin");
    List<UploadProgress> beats = new CopyOnWriteArrayList<>();

    UploadOutcome outcome = store.uploadFile(file, key, ATTRIBUTES, null, beats::add);

    assertThat(outcome).isEqualTo(new UploadOutcome(BLOCKS, 0, FILE_SIZE));
    assertThat(beats).extracting(UploadProgress::partsDone).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(beats.get(5).bytesDone()).isEqualTo(FILE_SIZE);
    BlockList blocks = blocks(key);
    assertThat(blocks.getCommittedBlocks()).hasSize(BLOCKS);
    assertThat(blocks.getUncommittedBlocks()).isEmpty();
    StoredObject head = store.head(key).orElseThrow();
    assertThat(head.size()).isEqualTo(FILE_SIZE);
    assertThat(head.storageClass()).isEqualTo("STANDARD_IA");
    assertThat(azurite.client(container).getBlobClient(key).getProperties().getAccessTier())
        .hasToString("Cool");
    assertThat(head.metadata())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("vigil-sha256", "to-be-checked", "vigil-backup-id", "backup-orders-1"));
    assertThat(store.tags(key))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("vigil-source", "orders-db", "vigil-kind", "full"));
    assertThat(sha256(store.open(key))).isEqualTo(sha256(Files.newInputStream(file)));
  }

  @Test
  void anInterruptedUploadResumesStagingOnlyTheMissingBlocks() throws IOException {
    Path file = randomFile("resume.bin", FILE_SIZE, 2);
    String key = store.key("orders-db/resume.bin");
    List<UploadProgress> firstAttempt = new CopyOnWriteArrayList<>();
    // The attempt dies after its third block is staged; its last heartbeat to reach Temporal
    // said one block: the store, not the heartbeat, tells what exists.
    assertThatThrownBy(
            () ->
                store.uploadFile(
                    file,
                    key,
                    ATTRIBUTES,
                    null,
                    progress -> {
                      firstAttempt.add(progress);
                      if (progress.partsDone() == 3) {
                        throw new IllegalStateException("worker killed");
                      }
                    }))
        .hasMessage("worker killed");
    assertThat(store.head(key)).isEmpty();
    assertThat(blocks(key).getUncommittedBlocks()).hasSize(3);

    List<UploadProgress> secondAttempt = new CopyOnWriteArrayList<>();
    UploadOutcome outcome =
        store.uploadFile(file, key, ATTRIBUTES, firstAttempt.get(0), secondAttempt::add);

    assertThat(outcome).isEqualTo(new UploadOutcome(BLOCKS, 3, FILE_SIZE));
    // Only blocks 4..6 were staged again: one heartbeat after each block sent.
    assertThat(secondAttempt).extracting(UploadProgress::partsDone).containsExactly(4, 5, 6);
    assertThat(secondAttempt)
        .extracting(UploadProgress::uploadId)
        .containsOnly(firstAttempt.get(0).uploadId());
    assertThat(blocks(key).getCommittedBlocks()).hasSize(BLOCKS);
    assertThat(sha256(store.open(key))).isEqualTo(sha256(Files.newInputStream(file)));
  }

  @Test
  void anAttemptThatDiedAfterItsCommitIsResumedWithoutSendingABlock() throws IOException {
    Path file = randomFile("committed.bin", FILE_SIZE, 3);
    String key = store.key("orders-db/committed.bin");
    List<UploadProgress> beats = new CopyOnWriteArrayList<>();
    store.uploadFile(file, key, ATTRIBUTES, null, beats::add);

    List<UploadProgress> retry = new CopyOnWriteArrayList<>();
    UploadOutcome outcome = store.uploadFile(file, key, ATTRIBUTES, beats.get(2), retry::add);

    assertThat(outcome).isEqualTo(new UploadOutcome(BLOCKS, BLOCKS, FILE_SIZE));
    assertThat(retry).isEmpty();
    assertThat(sha256(store.open(key))).isEqualTo(sha256(Files.newInputStream(file)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"not-a-uuid", "0b5f2c43-6a36-4a1c-9b5f-0a5b2c1d9e8f"})
  void aHeartbeatOfAnUnknownUploadStartsOver(String lostUploadId) throws IOException {
    Path file = randomFile("lost.bin", 2L * 1024 * 1024 + 10, 4);
    String key = store.key("orders-db/lost-" + lostUploadId.length() + ".bin");
    UploadOutcome outcome =
        store.uploadFile(
            file,
            key,
            ATTRIBUTES,
            new UploadProgress(key, lostUploadId, AzuriteFixture.BLOCK_SIZE, 2, 2L << 20, 0),
            progress -> {});
    assertThat(outcome).isEqualTo(new UploadOutcome(3, 0, 2L * 1024 * 1024 + 10));
    assertThat(sha256(store.open(key))).isEqualTo(sha256(Files.newInputStream(file)));
  }

  @Test
  void progressWithinABlockCountsWholeBlocksAndTheBytesSentSoFar() throws IOException {
    AzureRepositoryConfig base = azurite.config(container);
    AzureObjectStore frequent =
        new AzureObjectStore(
            base, AzureClients.create(base, AzuriteFixture.secrets()), Duration.ZERO);
    Path file = randomFile("within.bin", 2L * 1024 * 1024, 5);
    List<UploadProgress> within = new CopyOnWriteArrayList<>();
    frequent.uploadFile(file, "within.bin", ATTRIBUTES, null, progress -> {}, within::add);

    assertThat(within).isNotEmpty();
    assertThat(within).allSatisfy(p -> assertThat(p.bytesTotal()).isEqualTo(2L * 1024 * 1024));
    assertThat(within)
        .filteredOn(p -> p.partsDone() == 1)
        .allSatisfy(p -> assertThat(p.bytesDone()).isGreaterThan(1024L * 1024));
    assertThat(within).extracting(UploadProgress::bytesDone).isSorted();
  }

  @Test
  void rangedReadsStartAtTheOffsetAndReportTheBlobsSize() throws IOException {
    Path file = randomFile("ranged.bin", 3L * 1024 * 1024, 6);
    String key = store.key("orders-db/ranged.bin");
    store.uploadFile(file, key, ATTRIBUTES, null, progress -> {});
    byte[] all = Files.readAllBytes(file);

    ObjectBody body = store.read(key, 1_000_000);
    try (InputStream in = body.stream()) {
      assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(all, 1_000_000, all.length));
    }
    assertThat(body.objectSize()).isEqualTo(all.length);
    try (InputStream in = store.open(key, all.length - 10)) {
      assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(all, all.length - 10, all.length));
    }
    ObjectBody pastTheEnd = store.read(key, all.length + 5);
    assertThat(pastTheEnd.stream().readAllBytes()).isEmpty();
    assertThat(pastTheEnd.objectSize()).isEqualTo(all.length);
  }

  @Test
  void aListingGivesEachBlobsSizeAndLastModifiedInKeyOrderUnderItsPrefixOnly() throws IOException {
    Instant before = Instant.now().minusSeconds(5);
    store.putFile(randomFile("b", 300, 7), store.key("listing/b.bin"), ATTRIBUTES);
    store.putFile(randomFile("a", 100, 8), store.key("listing/a.bin"), ATTRIBUTES);
    store.putFile(randomFile("c", 50, 9), store.key("listing-other/c.bin"), ATTRIBUTES);

    List<ListedObject> listed = store.listObjects(store.key("listing") + "/");

    assertThat(listed)
        .extracting(ListedObject::key, ListedObject::size)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("vigil/backups/listing/a.bin", 100L),
            org.assertj.core.groups.Tuple.tuple("vigil/backups/listing/b.bin", 300L));
    assertThat(listed)
        .allSatisfy(o -> assertThat(o.lastModified()).isBetween(before, Instant.now()));
    assertThat(store.list(store.key("listing") + "/"))
        .containsExactly("vigil/backups/listing/a.bin", "vigil/backups/listing/b.bin");
  }

  @Test
  void emptyAndSmallFilesAreStoredWithTheirAttributes() throws IOException {
    Path empty = Files.createFile(temp.resolve("empty"));
    String emptyKey = store.key("small/empty.bin");
    assertThat(store.uploadFile(empty, emptyKey, ATTRIBUTES, null, progress -> {}))
        .isEqualTo(new UploadOutcome(1, 0, 0));
    assertThat(store.head(emptyKey).orElseThrow().size()).isZero();
    assertThat(store.open(emptyKey).readAllBytes()).isEmpty();

    Path manifest = Files.writeString(temp.resolve("manifest.json"), "{\"backup\":1}");
    String key = store.key("small/manifest.json");
    store.putFile(manifest, key, ATTRIBUTES);
    StoredObject head = store.head(key).orElseThrow();
    assertThat(head.storageClass()).isEqualTo("STANDARD_IA");
    assertThat(head.metadata()).containsEntry("vigil-backup-id", "backup-orders-1");
    assertThat(store.tags(key)).containsEntry("vigil-kind", "full");
    assertThat(new String(store.open(key).readAllBytes())).isEqualTo("{\"backup\":1}");
  }

  @Test
  void aMissingBlobHasNoHeadAndCannotBeOpened() {
    assertThat(store.head(store.key("nothing-here"))).isEmpty();
    assertThatThrownBy(() -> store.open(store.key("nothing-here")))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_NOT_FOUND))
        .hasMessageContaining("blob 'vigil/backups/nothing-here' in container '" + container)
        .hasMessageContaining("no such blob (HTTP 404 BlobNotFound)");
  }

  @Test
  void deleteRemovesTheBlobAndToleratesAbsentOnes() throws IOException {
    String key = store.key("deleted.bin");
    store.putFile(randomFile("d", 10, 10), key, ATTRIBUTES);
    store.delete(key);
    assertThat(store.head(key)).isEmpty();
    store.delete(key);
  }

  @Test
  void archivingInPlaceAndByCopyMapsClassesToTiersAndBack() throws IOException {
    String hot = store.key("tiers/data.vgl");
    store.putFile(randomFile("t", 4096, 11), hot, new ObjectAttributes(null, Map.of(), Map.of()));
    assertThat(store.head(hot).orElseThrow().storageClass()).isEqualTo("STANDARD");
    assertThat(store.restoreState(hot)).isEqualTo(ColdRestoreState.READABLE);

    String cold = store.key("tiers/cold/data.vgl");
    CopyOutcome copy = store.copy(hot, cold, "DEEP_ARCHIVE");
    assertThat(copy).isEqualTo(new CopyOutcome(cold, 4096, "DEEP_ARCHIVE", null));
    StoredObject coldHead = store.head(cold).orElseThrow();
    // Azure has one Archive tier; the class Vigil asked for reads back as asked.
    assertThat(coldHead.storageClass()).isEqualTo("DEEP_ARCHIVE");
    assertThat(azurite.client(container).getBlobClient(cold).getProperties().getAccessTier())
        .hasToString("Archive");
    assertThat(store.restoreState(cold)).isEqualTo(ColdRestoreState.ARCHIVED);

    store.copy(hot, hot, "GLACIER_IR");
    assertThat(store.head(hot).orElseThrow().storageClass()).isEqualTo("GLACIER_IR");
    assertThat(azurite.client(container).getBlobClient(hot).getProperties().getAccessTier())
        .hasToString("Cold");
  }

  @Test
  void anArchivedBlobIsNotReadableUntilRehydratedToTheRepositorysTier() throws IOException {
    String key = store.key("rehydrate/data.vgl");
    Path file = randomFile("r", 4096, 12);
    store.putFile(file, key, new ObjectAttributes("GLACIER", null, null));
    assertThat(store.restoreState(key)).isEqualTo(ColdRestoreState.ARCHIVED);
    assertThatThrownBy(() -> store.open(key))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.type()).isEqualTo(ErrorType.OBJECT_NOT_READABLE_YET))
        .hasMessageEndingWith(
            ": the blob is in the Archive tier and not rehydrated yet; run `vigil rehydrate` for"
                + " it first");

    // Azure answers 202 and keeps the blob in Archive ("rehydrate-pending-to-hot", IN_PROGRESS)
    // for hours; Azurite moves it at once, so here the blob is readable straight away.
    assertThat(store.requestRestore(key, 3)).isEqualTo(ColdRestoreState.READABLE);

    assertThat(azurite.client(container).getBlobClient(key).getProperties().getAccessTier())
        .hasToString("Hot");
    assertThat(store.head(key).orElseThrow().storageClass()).isEqualTo("STANDARD");
    assertThat(sha256(store.open(key))).isEqualTo(sha256(Files.newInputStream(file)));
    assertThat(store.requestRestore(key, 3)).isEqualTo(ColdRestoreState.READABLE);
  }

  @Test
  void aBitFlippedOnDiskIsServedAsIsSoAReadBackSeesIt() throws IOException {
    Path file = randomFile("rot.bin", 2L * 1024 * 1024, 13);
    String key = store.key("rot.bin");
    store.uploadFile(file, key, ATTRIBUTES, null, progress -> {});
    byte[] all = Files.readAllBytes(file);

    azurite.flipBitOnDisk(Arrays.copyOfRange(all, 1_500_000, 1_500_064));

    assertThat(store.head(key).orElseThrow().size()).isEqualTo(all.length);
    assertThat(sha256(store.open(key))).isNotEqualTo(sha256(Files.newInputStream(file)));
  }

  @Test
  void uncommittedBlocksAreListedAsOpenUploadsAndFreedByAnAbort() throws IOException {
    Path file = randomFile("open.bin", 3L * 1024 * 1024, 14);
    String key = store.key("open/left.bin");
    assertThatThrownBy(
            () ->
                store.uploadFile(
                    file,
                    key,
                    ATTRIBUTES,
                    null,
                    progress -> {
                      throw new IllegalStateException("worker killed");
                    }))
        .hasMessage("worker killed");
    store.putFile(randomFile("done", 10, 15), store.key("open/done.bin"), ATTRIBUTES);

    List<OpenUpload> open = store.openUploads(store.key("open/"));
    assertThat(open).containsExactly(new OpenUpload(key, AzureObjectStore.UNCOMMITTED));

    store.abortUpload(open.get(0));
    assertThat(store.openUploads(store.key("open/"))).isEmpty();
    assertThat(store.head(key)).isEmpty();
    assertThat(store.head(store.key("open/done.bin"))).isPresent();
  }

  @Test
  void checkBucketPassesForAnExistingContainer() {
    store.checkBucket();
  }

  @Test
  void aMissingContainerIsOneLineNamingRepositoryAndContainer() throws IOException {
    AzureObjectStore missing =
        AzureObjectStore.open(azurite.config("no-such-container"), AzuriteFixture.secrets());
    Path small = randomFile("m", 10, 16);
    for (Runnable call :
        List.<Runnable>of(
            missing::checkBucket,
            () -> missing.head("x"),
            () -> missing.putFile(small, "x", ATTRIBUTES))) {
      assertThatThrownBy(call::run)
          .isInstanceOfSatisfying(
              VigilException.class,
              e -> assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_NOT_FOUND))
          .hasMessage(
              "repository 'azurite': container 'no-such-container' does not exist at "
                  + azurite.endpoint()
                  + "; create it or fix repositories.azurite.container");
    }
  }

  @Test
  void aWrongKeyIsOneLineNamingRepositoryAndContainerButNotTheKey() {
    String wrongKey =
        java.util.Base64.getEncoder().encodeToString("not the key of this account!!".getBytes());
    AzureObjectStore wrong = AzureObjectStore.open(azurite.config(container), ref -> wrongKey);

    assertThatThrownBy(wrong::checkBucket)
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_NOT_FOUND);
              // Azure answers AuthenticationFailed; Azurite AuthorizationFailure.
              assertThat(e.getMessage())
                  .isEqualTo(
                      "repository 'azurite': cannot reach container '"
                          + container
                          + "' at "
                          + azurite.endpoint()
                          + ": access denied (HTTP 403 AuthorizationFailure); check the"
                          + " credentials (account key from env "
                          + AzuriteFixture.KEY_ENV
                          + ") and the container's access rules")
                  .doesNotContain(wrongKey)
                  .doesNotContain("\n");
              assertThat(e.getCause()).isNull();
            });
  }

  @Test
  void aSasTokenAndAConnectionStringWorkInsteadOfTheAccountKey() throws IOException {
    String sas =
        azurite
            .client(container)
            .generateSas(
                new com.azure.storage.blob.sas.BlobServiceSasSignatureValues(
                    java.time.OffsetDateTime.now().plusHours(1),
                    com.azure.storage.blob.sas.BlobContainerSasPermission.parse("racwdlt")));
    String connectionString =
        "DefaultEndpointsProtocol=http;AccountName="
            + AzuriteFixture.ACCOUNT
            + ";AccountKey="
            + AzuriteFixture.ACCOUNT_KEY
            + ";BlobEndpoint="
            + azurite.endpoint()
            + ";";
    AzureRepositoryConfig base = azurite.config(container);
    Path file = randomFile("credentials.bin", 2L * 1024 * 1024 + 7, 17);
    for (boolean withSas : List.of(true, false)) {
      AzureObjectStore other =
          AzureObjectStore.open(
              new AzureRepositoryConfig(
                  base.name(),
                  withSas ? base.account() : null,
                  container,
                  withSas ? base.endpoint() : null,
                  "",
                  "Hot",
                  SecretRef.NONE,
                  withSas ? new SecretRef("SAS", null) : SecretRef.NONE,
                  withSas ? SecretRef.NONE : new SecretRef("CONNECTION", null),
                  AzuriteFixture.BLOCK_SIZE),
              ref -> withSas ? sas : connectionString);
      String key = "credentials/" + (withSas ? "sas" : "connection-string") + ".bin";

      other.checkBucket();
      other.uploadFile(file, key, ATTRIBUTES, null, progress -> {});

      assertThat(other.head(key).orElseThrow().metadata())
          .containsEntry("vigil-backup-id", "backup-orders-1");
      assertThat(other.tags(key)).containsEntry("vigil-kind", "full");
      assertThat(other.list("credentials/")).contains(key);
      assertThat(sha256(other.open(key))).isEqualTo(sha256(Files.newInputStream(file)));
    }
  }

  @Test
  void anUnsetKeyVariableIsNamedButNoValue() {
    assertThatThrownBy(
            () ->
                AzureObjectStore.open(
                    azurite.config(container),
                    ref -> {
                      throw new IllegalArgumentException(
                          "environment variable " + ref.env() + " is not set");
                    }))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.INVALID_CONFIG))
        .hasMessage(
            "repository 'azurite': cannot read its credentials: environment variable "
                + AzuriteFixture.KEY_ENV
                + " is not set");
  }

  @Test
  void anUnreachableEndpointIsRepositoryUnavailable() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    AzureRepositoryConfig base = azurite.config(container);
    AzureObjectStore unreachable =
        AzureObjectStore.open(
            new AzureRepositoryConfig(
                base.name(),
                base.account(),
                container,
                URI.create("http://127.0.0.1:" + closedPort + "/" + AzuriteFixture.ACCOUNT),
                "",
                "Hot",
                base.accountKey(),
                SecretRef.NONE,
                SecretRef.NONE,
                0),
            AzuriteFixture.secrets());
    assertThatThrownBy(unreachable::checkBucket)
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_UNAVAILABLE))
        .hasMessageStartingWith(
            "repository 'azurite': cannot reach container '" + container + "' at http")
        .hasMessageContaining("the store did not answer")
        .hasMessageEndingWith("check that it is reachable");
  }

  @Test
  void aSpoolFileThatVanishedIsSpoolMissing() {
    assertThatThrownBy(
            () ->
                store.uploadFile(
                    temp.resolve("gone.bin"), store.key("gone.bin"), ATTRIBUTES, null, p -> {}))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.SPOOL_MISSING));
  }

  @Test
  void blockSizeGrowsSoLargeFilesFitInAzuresBlockLimit() {
    assertThat(store.blockSizeFor(10L * 1024 * 1024)).isEqualTo(AzuriteFixture.BLOCK_SIZE);
    long huge = 4L * 1024 * 1024 * 1024 * 1024; // 4 TiB
    long blockSize = store.blockSizeFor(huge);
    assertThat((huge + blockSize - 1) / blockSize).isLessThanOrEqualTo(AzureObjectStore.MAX_BLOCKS);
  }

  private BlockList blocks(String key) {
    return azurite
        .client(container)
        .getBlobClient(key)
        .getBlockBlobClient()
        .listBlocks(BlockListType.ALL);
  }

  private Path randomFile(String name, long size, long seed) throws IOException {
    Path file = temp.resolve(name);
    byte[] bytes = new byte[(int) size];
    new Random(seed).nextBytes(bytes);
    return Files.write(file, bytes);
  }

  private static String sha256(InputStream in) throws IOException {
    try (in) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[64 * 1024];
      for (int read; (read = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, read);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new UncheckedIOException(new IOException(e));
    }
  }
}
