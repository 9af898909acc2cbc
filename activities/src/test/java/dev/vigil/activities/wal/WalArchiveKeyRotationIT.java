package dev.vigil.activities.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.crypto.Keyring;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.store.S3ObjectStore;
import dev.vigil.activities.testing.S3MockFixture;
import dev.vigil.workflows.common.ErrorType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WAL archived by {@code vigil wal-push} across a key rotation, on S3Mock: a segment pushed under
 * the old key and one under the new key both come back through {@code wal-fetch} with the rotated
 * keys; with the old key removed, the old segment is refused naming the file and the key id, and
 * nothing is written.
 */
class WalArchiveKeyRotationIT {
  private static final WalFileName OLD = WalFileName.parse("000000010000000000000001");
  private static final WalFileName NEW = WalFileName.parse("000000010000000000000002");

  @TempDir Path dir;

  @Test
  void segmentsPushedBeforeAndAfterARotationBothFetchAndARemovedKeyIsNamed() throws Exception {
    S3MockFixture s3 = S3MockFixture.get();
    String bucket = s3.newBucket("wal-rotation");
    S3ObjectStore store = s3.objectStore(bucket);
    EncryptionKey k1 = key(1, "k1");
    EncryptionKey k2 = key(2, "k2");
    Path oldSegment = segment(OLD, 1);
    Path newSegment = segment(NEW, 2);
    new WalArchive(store, new Sealer(Keyring.of(k1)), "appdb", dir.resolve("scratch"))
        .push(oldSegment);
    WalArchive rotated =
        new WalArchive(store, new Sealer(Keyring.of(k2, k1)), "appdb", dir.resolve("scratch"));

    rotated.push(newSegment);

    assertThat(store.head(rotated.key(OLD)).orElseThrow().metadata())
        .containsEntry("vigil-key-id", "k1");
    assertThat(store.head(rotated.key(NEW)).orElseThrow().metadata())
        .containsEntry("vigil-key-id", "k2");
    Path restored = Files.createDirectories(dir.resolve("pg_wal"));
    assertThat(rotated.fetch(OLD, restored.resolve("old"))).isTrue();
    assertThat(rotated.fetch(NEW, restored.resolve("new"))).isTrue();
    assertThat(restored.resolve("old")).hasSameBinaryContentAs(oldSegment);
    assertThat(restored.resolve("new")).hasSameBinaryContentAs(newSegment);

    WalArchive withoutOldKey =
        new WalArchive(store, new Sealer(Keyring.of(k2)), "appdb", dir.resolve("scratch"));
    Path never = restored.resolve("never");
    assertThatThrownBy(() -> withoutOldKey.fetch(OLD, never))
        .isInstanceOf(VigilException.class)
        .hasMessage(
            "archived WAL file "
                + OLD
                + " at '"
                + rotated.key(OLD)
                + "' was sealed with key 'k1', which is not configured (configured keys: k2); add"
                + " it under encryption.keys to read it")
        .extracting(e -> ((VigilException) e).type())
        .isEqualTo(ErrorType.ENCRYPTION_KEY_INVALID);
    assertThat(never).doesNotExist();
    try (var left = Files.list(restored)) {
      assertThat(left.map(path -> path.getFileName().toString())).containsOnly("old", "new");
    }
  }

  private Path segment(WalFileName name, int seed) throws Exception {
    byte[] bytes = new byte[256 * 1024];
    new Random(seed).nextBytes(bytes);
    return Files.write(Files.createDirectories(dir.resolve("src")).resolve(name.toString()), bytes);
  }

  private static EncryptionKey key(int seed, String id) {
    byte[] material = new byte[32];
    new Random(seed).nextBytes(material);
    return EncryptionKey.of(material, id);
  }
}
