package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.testing.S3MockFixture;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Copying to a cold class and asking for restores, against S3Mock over HTTP. */
class S3ObjectStoreCopyIT {
  @TempDir Path dir;

  private final S3MockFixture s3 = S3MockFixture.get();

  @Test
  void copyToGlacierKeepsBytesTagsAndMetadataAndShowsTheNewClassOnHead() throws Exception {
    S3ObjectStore store = s3.objectStore(s3.newBucket("copy"));
    Path file = dir.resolve("data");
    byte[] bytes = new byte[3_000_000];
    new Random(4).nextBytes(bytes);
    Files.write(file, bytes);
    store.putFile(
        file,
        "src/data.vgl",
        new ObjectAttributes(
            "STANDARD", Map.of("vigil-source", "models"), Map.of("vigil-sha256", "abc")));

    CopyOutcome outcome = store.copy("src/data.vgl", "src/cold/data.vgl", "GLACIER");

    assertThat(outcome.size()).isEqualTo(bytes.length);
    StoredObject head = store.head("src/cold/data.vgl").orElseThrow();
    assertThat(head.storageClass()).isEqualTo("GLACIER");
    assertThat(head.metadata()).containsEntry("vigil-sha256", "abc");
    assertThat(store.tags("src/cold/data.vgl")).containsEntry("vigil-source", "models");
    assertThat(store.head("src/data.vgl").orElseThrow().storageClass()).isEqualTo("STANDARD");
    try (InputStream in = store.open("src/cold/data.vgl")) {
      assertThat(Digests.sha256Hex(in)).isEqualTo(Digests.sha256Hex(Files.newInputStream(file)));
    }
  }

  @Test
  void aStoreWithoutARestoreApiSaysSoAndAnArchivedObjectReportsArchived() throws Exception {
    S3ObjectStore store = s3.objectStore(s3.newBucket("restore"));
    Path file = Files.writeString(dir.resolve("small"), "cold bytes");
    store.putFile(file, "cold.vgl", new ObjectAttributes("DEEP_ARCHIVE", Map.of(), Map.of()));
    store.putFile(file, "hot.vgl", new ObjectAttributes("STANDARD", Map.of(), Map.of()));

    assertThat(store.requestRestore("cold.vgl", 1)).isEqualTo(ColdRestoreState.UNSUPPORTED);
    assertThat(store.restoreState("cold.vgl")).isEqualTo(ColdRestoreState.ARCHIVED);
    assertThat(store.restoreState("hot.vgl")).isEqualTo(ColdRestoreState.READABLE);
  }
}
