package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.backup.UploadProgress;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every kind of {@link ObjectStore} must have, run against each kind by a subclass
 * (S3 against S3Mock, the filesystem against a directory): what the pipeline relies on, whatever
 * the repository is.
 */
abstract class ObjectStoreContract {
  /** S3's smallest part; the store under test uses it, so three parts make 11 MiB. */
  static final long PART_SIZE = 5L * 1024 * 1024;

  private static final ObjectAttributes ATTRIBUTES =
      new ObjectAttributes(
          null,
          Map.of("vigil-source", "orders-db", "vigil-kind", "full"),
          Map.of("vigil-sha256", "abc123", "vigil-backup-id", "backup-orders-1"));

  @TempDir Path temp;

  /** The store under test, writing {@link #PART_SIZE} parts. */
  abstract ObjectStore store();

  /** A key prefix no other test uses. */
  private String prefix() {
    return "contract/" + UUID.randomUUID() + "/";
  }

  private Path file(String name, int size, long seed) throws IOException {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return Files.write(temp.resolve(name), bytes);
  }

  private byte[] content(String key) throws IOException {
    try (InputStream in = store().open(key)) {
      return in.readAllBytes();
    }
  }

  @Test
  void aPutObjectHasItsBytesSizeClassTagsAndMetadata() throws IOException {
    Path file = file("manifest.json", 4321, 1);
    String key = prefix() + "manifest.json";

    store().putFile(file, key, ATTRIBUTES);

    StoredObject head = store().head(key).orElseThrow();
    assertThat(head.size()).isEqualTo(4321);
    assertThat(head.storageClass()).isEqualTo("STANDARD");
    assertThat(head.metadata()).containsAllEntriesOf(ATTRIBUTES.metadata());
    assertThat(store().tags(key)).isEqualTo(ATTRIBUTES.tags());
    assertThat(content(key)).isEqualTo(Files.readAllBytes(file));
    assertThat(store().restoreState(key)).isEqualTo(ColdRestoreState.READABLE);
  }

  @Test
  void aMultipartUploadReportsEachPartAndStoresTheWholeFile() throws IOException {
    Path file = file("data.vgl", (int) (2 * PART_SIZE + 12345), 2);
    String key = prefix() + "data.vgl";
    List<UploadProgress> reported = new ArrayList<>();

    UploadOutcome outcome = store().uploadFile(file, key, ATTRIBUTES, null, reported::add);

    assertThat(outcome).isEqualTo(new UploadOutcome(3, 0, Files.size(file)));
    assertThat(reported).extracting(UploadProgress::partsDone).containsExactly(1, 2, 3);
    assertThat(reported.get(2).bytesDone()).isEqualTo(Files.size(file));
    assertThat(content(key)).isEqualTo(Files.readAllBytes(file));
    assertThat(store().tags(key)).isEqualTo(ATTRIBUTES.tags());
    assertThat(store().openUploads(key)).isEmpty();
  }

  @Test
  void anInterruptedUploadIsInvisibleAndResumesFromItsHeartbeat() throws IOException {
    Path file = file("data.vgl", (int) (2 * PART_SIZE + 777), 3);
    String prefix = prefix();
    String key = prefix + "data.vgl";
    List<UploadProgress> heartbeats = new ArrayList<>();

    assertThatThrownBy(
            () ->
                store()
                    .uploadFile(
                        file,
                        key,
                        ATTRIBUTES,
                        null,
                        progress -> {
                          heartbeats.add(progress);
                          if (progress.partsDone() == 2) {
                            throw new IllegalStateException("the worker died here");
                          }
                        }))
        .hasMessage("the worker died here");

    assertThat(store().head(key)).isEmpty();
    assertThat(store().list(prefix)).isEmpty();
    assertThat(store().openUploads(prefix)).extracting(OpenUpload::key).containsExactly(key);

    UploadOutcome resumed =
        store().uploadFile(file, key, ATTRIBUTES, heartbeats.get(1), progress -> {});

    assertThat(resumed.resumedParts()).isEqualTo(2);
    assertThat(resumed.parts()).isEqualTo(3);
    assertThat(content(key)).isEqualTo(Files.readAllBytes(file));
    assertThat(store().openUploads(prefix)).isEmpty();
  }

  @Test
  void anAbortedUploadLeavesNothingBehind() throws IOException {
    // More than two parts: S3 sends a file of up to two parts in one PUT, which leaves no upload.
    Path file = file("data.vgl", (int) (2 * PART_SIZE + 5), 4);
    String prefix = prefix();
    String key = prefix + "data.vgl";
    assertThatThrownBy(
            () ->
                store()
                    .uploadFile(
                        file,
                        key,
                        ATTRIBUTES,
                        null,
                        progress -> {
                          throw new IllegalStateException("stop");
                        }))
        .hasMessage("stop");
    OpenUpload open = store().openUploads(prefix).get(0);

    store().abortUpload(open);
    store().abortUpload(open);

    assertThat(store().openUploads(prefix)).isEmpty();
    assertThat(store().list(prefix)).isEmpty();
  }

  @Test
  void aRangedReadStartsAtItsOffsetAndNamesTheWholeSize() throws IOException {
    Path file = file("object", 1000, 5);
    String key = prefix() + "object";
    store().putFile(file, key, ATTRIBUTES);
    byte[] bytes = Files.readAllBytes(file);

    ObjectBody body = store().read(key, 600);
    byte[] tail;
    try (InputStream in = body.stream()) {
      tail = in.readAllBytes();
    }
    ObjectBody pastEnd = store().read(key, 1000);

    assertThat(body.objectSize()).isEqualTo(1000);
    assertThat(tail).isEqualTo(java.util.Arrays.copyOfRange(bytes, 600, 1000));
    try (InputStream in = store().open(key, 999)) {
      assertThat(in.readAllBytes()).containsExactly(bytes[999]);
    }
    try (InputStream in = pastEnd.stream()) {
      assertThat(in.readAllBytes()).isEmpty();
    }
    assertThat(pastEnd.objectSize()).isEqualTo(1000);
  }

  @Test
  void aListingIsInKeyOrderWithSizeAndTimeAndMatchesPrefixesAsStrings() throws IOException {
    String prefix = prefix();
    Instant before = Instant.now().minus(Duration.ofMinutes(1));
    for (String name : List.of("b/2", "a1", "a/x/y", "ab/z", "c")) {
      store().putFile(file("f", name.length() * 10, 6), prefix + name, ATTRIBUTES);
    }

    List<ListedObject> all = store().listObjects(prefix);
    List<String> underA = store().list(prefix + "a");

    assertThat(all)
        .extracting(ListedObject::key)
        .containsExactly(
            prefix + "a/x/y", prefix + "a1", prefix + "ab/z", prefix + "b/2", prefix + "c");
    assertThat(all).extracting(ListedObject::size).containsExactly(50L, 20L, 40L, 30L, 10L);
    assertThat(all)
        .allSatisfy(
            object ->
                assertThat(object.lastModified())
                    .isAfter(before)
                    .isBefore(Instant.now().plusSeconds(60)));
    assertThat(underA).containsExactly(prefix + "a/x/y", prefix + "a1", prefix + "ab/z");
    assertThat(store().list(prefix + "nothing-here/")).isEmpty();
  }

  @Test
  void aDeletedObjectIsGoneAndDeletingItAgainIsFine() throws IOException {
    String key = prefix() + "gone";
    store().putFile(file("gone", 10, 7), key, ATTRIBUTES);

    store().delete(key);
    store().delete(key);

    assertThat(store().head(key)).isEmpty();
    assertThatThrownBy(() -> store().open(key).close())
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.type()).isEqualTo(ErrorType.REPOSITORY_NOT_FOUND));
  }

  @Test
  void aCopyInTheSameClassKeepsBytesTagsAndMetadata() throws IOException {
    Path file = file("source", 3000, 8);
    String prefix = prefix();
    store().putFile(file, prefix + "hot", ATTRIBUTES);

    CopyOutcome copy = store().copy(prefix + "hot", prefix + "copy", "STANDARD");

    assertThat(copy.size()).isEqualTo(3000);
    assertThat(copy.storageClass()).isEqualTo("STANDARD");
    assertThat(content(prefix + "copy")).isEqualTo(Files.readAllBytes(file));
    assertThat(store().tags(prefix + "copy")).isEqualTo(ATTRIBUTES.tags());
    assertThat(store().head(prefix + "copy").orElseThrow().metadata())
        .containsAllEntriesOf(ATTRIBUTES.metadata());
  }

  @Test
  void anEmptyFileIsAnEmptyObject() throws IOException {
    Path empty = Files.write(temp.resolve("empty"), new byte[0]);
    String key = prefix() + "empty";

    UploadOutcome outcome = store().uploadFile(empty, key, ATTRIBUTES, null, progress -> {});

    assertThat(outcome.bytes()).isZero();
    assertThat(store().head(key).orElseThrow().size()).isZero();
    assertThat(content(key)).isEmpty();
  }
}
