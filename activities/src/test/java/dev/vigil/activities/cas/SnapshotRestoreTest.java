package dev.vigil.activities.cas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.FilesystemRepositoryConfig;
import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.restore.DirectoryRestorer;
import dev.vigil.activities.source.FileEntry;
import dev.vigil.activities.store.FilesystemObjectStore;
import dev.vigil.activities.store.ObjectAttributes;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Chunks sealed by {@link ChunkCrypto}, packed into a store and restored as a restore does (files
 * written from chunks read by {@link ParallelChunkReader}) or as a rehydration does (through {@link
 * SnapshotTar}), both through the safe extractor's checks: a clean snapshot restores byte for byte;
 * a flipped byte, a cut pack, a chunk under another id, and paths or links that leave the target
 * are all refused. The parallel reader's cases run with its packs in memory (its default budget),
 * all in scratch files (budget 0), and one reused 1 MiB buffer (some of each).
 */
class SnapshotRestoreTest {
  @TempDir Path dir;

  private final ChunkCrypto crypto = new ChunkCrypto(key(1));
  private final DirectoryRestorer restorer = new DirectoryRestorer();

  @Test
  void chunkIdsAreKeyedAndSealedChunksOpenOnlyUnderTheirId() {
    byte[] data = "the same content".getBytes(StandardCharsets.UTF_8);
    String id = crypto.id(data, data.length);
    assertThat(id).isNotEqualTo(Digests.hex(sha256(data)));
    assertThat(new ChunkCrypto(key(2)).id(data, data.length)).isNotEqualTo(id);
    byte[] sealed = crypto.seal(id, data, data.length, true);
    assertThat(crypto.open(id, sealed)).isEqualTo(data);
    byte[] other = "other".getBytes(StandardCharsets.UTF_8);
    assertThat(crypto.open(crypto.id(other, other.length), sealed)).isNull();
    sealed[sealed.length / 2] ^= 1;
    assertThat(crypto.open(id, sealed)).isNull();
  }

  @Test
  void compressionIsChosenOnlyForDataThatShrinks() {
    byte[] text = "line of text\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
    byte[] random = random(13_000, 5);
    assertThat(ChunkCrypto.compresses(text, text.length)).isTrue();
    assertThat(ChunkCrypto.compresses(random, random.length)).isFalse();
    String id = crypto.id(text, text.length);
    assertThat(crypto.seal(id, text, text.length, true).length).isLessThan(text.length / 10);
  }

  @ParameterizedTest(name = "pack memory budget {0}")
  @ValueSource(longs = {-1, 0, 1 << 20})
  void aSnapshotRestoresByteForByteAcrossPacks(long memoryBudget) throws IOException {
    Fixture fixture = new Fixture(memoryBudget);
    byte[] big = random(300_000, 7);
    byte[] bigger = random(1_500_000, 17);
    fixture.dir("weights", 0755);
    fixture.file("weights/a.bin", big, 100_000);
    fixture.file("weights/b.bin", bigger, 2 << 20);
    fixture.file("weights/notes.txt", "hello\n".getBytes(StandardCharsets.UTF_8), 100_000);
    fixture.symlink("latest", "weights");
    fixture.dir("empty", 0700);
    Path target = dir.resolve("restored");
    Path throughTar = dir.resolve("through-tar");

    fixture.restore(target);
    fixture.restoreThroughTar(throughTar);

    assertThat(throughTar.resolve("weights/a.bin")).hasBinaryContent(big);
    assertThat(Files.readSymbolicLink(throughTar.resolve("latest"))).isEqualTo(Path.of("weights"));
    assertThat(target.resolve("weights/a.bin")).hasBinaryContent(big);
    assertThat(target.resolve("weights/b.bin")).hasBinaryContent(bigger);
    assertThat(target.resolve("weights/notes.txt")).hasContent("hello\n");
    assertThat(Files.readSymbolicLink(target.resolve("latest"))).isEqualTo(Path.of("weights"));
    assertThat(target.resolve("empty")).isEmptyDirectory();
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(target.resolve("empty"))))
        .isEqualTo("rwx------");
    assertThat(fixture.reader.downloads()).isEqualTo(fixture.packs.size());
    assertThat(fixture.parallelReader.downloads()).isEqualTo(fixture.packs.size());
    if (memoryBudget == 0) {
      assertThat(fixture.parallelReader.scratchFiles()).isEqualTo(fixture.packs.size());
    } else if (memoryBudget > 0) {
      // One 1 MiB buffer: the first pack is read into it, b.bin's 1.5 MB pack never fits.
      assertThat(fixture.parallelReader.scratchFiles()).isBetween(1, fixture.packs.size() - 1);
    } else {
      assertThat(fixture.parallelReader.scratchFiles()).isZero();
    }
    assertThat(fixture.heldWhenDone).isZero();
    assertThat(fixture.scratch).isEmptyDirectory();
  }

  @ParameterizedTest(name = "pack memory budget {0}")
  @ValueSource(longs = {-1, 0})
  void aChunkUsedSeveralTimesRestoresEveryTimeThoughChunksAreDecryptedInPlace(long memoryBudget)
      throws IOException {
    Fixture fixture = new Fixture(memoryBudget);
    byte[] piece = random(70_000, 11);
    byte[] twice = new byte[2 * piece.length];
    System.arraycopy(piece, 0, twice, 0, piece.length);
    System.arraycopy(piece, 0, twice, piece.length, piece.length);
    fixture.file("copy-1.bin", piece, 100_000);
    fixture.file("copy-2.bin", piece, 100_000);
    fixture.file("twice.bin", twice, piece.length);
    Path target = dir.resolve("restored");

    fixture.restore(target);

    assertThat(fixture.packs).hasSize(1);
    assertThat(target.resolve("copy-1.bin")).hasBinaryContent(piece);
    assertThat(target.resolve("copy-2.bin")).hasBinaryContent(piece);
    assertThat(target.resolve("twice.bin")).hasBinaryContent(twice);
    assertThat(fixture.heldWhenDone).isZero();
  }

  // A failed restore closes the reader at once: openers waiting for a download the close dropped
  // once hung 30 s each (the reader's termination timeout).
  @Timeout(20)
  @ParameterizedTest(name = "pack memory budget {0}")
  @ValueSource(longs = {-1, 0, 1 << 20})
  void aDamagedChunkAmongManyPacksReadInParallelFailsNamingItAndLeavesAReplacedTargetAsItWas(
      long memoryBudget) throws IOException {
    Fixture fixture = new Fixture(memoryBudget);
    List<byte[]> contents = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      byte[] content = new byte[40_000 - i];
      new Random(20 + i).nextBytes(content);
      contents.add(content);
      // 10,000-byte chunks, each in a pack of its own: 48 packs, many in flight at once.
      fixture.file(String.format("f%02d.bin", i), content, 10_000);
    }
    fixture.seal();
    Path target = dir.resolve("restored");
    fixture.restore(target);
    for (int i = 0; i < 12; i++) {
      assertThat(target.resolve(String.format("f%02d.bin", i))).hasBinaryContent(contents.get(i));
    }
    assertThat(fixture.parallelReader.downloads()).isEqualTo(48);
    if (memoryBudget == 0) {
      assertThat(fixture.parallelReader.scratchFiles()).isEqualTo(48);
    } else if (memoryBudget > 0) {
      // One 1 MiB buffer, reused: the first pack is read into it, later ones when it is free.
      assertThat(fixture.parallelReader.scratchFiles()).isLessThan(48);
    } else {
      assertThat(fixture.parallelReader.scratchFiles()).isZero();
    }
    assertThat(fixture.heldWhenDone).isZero();
    assertThat(fixture.scratch).isEmptyDirectory();

    String damaged = fixture.packs.get(37);
    Path pack = fixture.storeRoot.resolve(damaged);
    byte[] bytes = Files.readAllBytes(pack);
    bytes[bytes.length / 3] ^= 0x01;
    Files.write(pack, bytes);
    Files.writeString(target.resolve("f00.bin"), "changed since");

    assertThatThrownBy(() -> fixture.restore(target, true))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.OBJECT_CORRUPT))
        .hasMessageContaining("of f09.bin in pack " + damaged + " at offset 0 is damaged");
    assertThat(target.resolve("f00.bin")).hasContent("changed since");
    assertThat(target.resolve("f11.bin")).hasBinaryContent(contents.get(11));
    assertThat(fixture.scratch).isEmptyDirectory();
    try (var left = Files.list(dir)) {
      assertThat(left.map(path -> path.getFileName().toString()))
          .noneMatch(name -> name.contains("vigil-staging"));
    }
  }

  @Test
  void aFileWhoseChunksDoNotMatchTheManifestFailsTheRestore() throws IOException {
    Fixture fixture = new Fixture();
    byte[] content = random(30_000, 3);
    fixture.file("a.bin", content, 10_000);
    // The manifest records other bytes of the same size for a.bin.
    FileEntry recorded = fixture.manifest.remove(0);
    byte[] other = content.clone();
    other[0] ^= 1;
    fixture.manifest.add(
        new FileEntry(
            recorded.path(),
            "file",
            recorded.size(),
            Digests.hex(sha256(other)),
            recorded.mode(),
            recorded.mtimeMillis(),
            null));
    Path target = dir.resolve("restored");

    assertThatThrownBy(() -> fixture.restore(target))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.VALIDATION_FAILED))
        .hasMessageContaining("restored file 'a.bin' has SHA-256 " + Digests.hex(sha256(content)));
    assertThat(target).doesNotExist();
  }

  @Test
  void aFlippedByteInAPackFailsTheRestoreNamingTheChunkAndLeavesNoTarget() throws IOException {
    Fixture fixture = new Fixture();
    byte[] big = random(50_000, 8);
    fixture.file("a.bin", big, 1 << 20);
    fixture.seal();
    Path pack = fixture.storeRoot.resolve(fixture.packs.get(0));
    byte[] bytes = Files.readAllBytes(pack);
    bytes[bytes.length / 2] ^= 0x10;
    Files.write(pack, bytes);
    Path target = dir.resolve("restored");

    assertThatThrownBy(() -> fixture.restore(target))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.OBJECT_CORRUPT))
        .hasMessageContaining("of a.bin in pack " + fixture.packs.get(0) + " at offset 0")
        .hasMessageContaining("is damaged");
    assertThat(target).doesNotExist();
  }

  @ParameterizedTest(name = "pack memory budget {0}")
  @ValueSource(longs = {-1, 0})
  void aPackCutShortInTheStoreFailsTheRestoreNamingTheChunkItCutOff(long memoryBudget)
      throws IOException {
    Fixture fixture = new Fixture(memoryBudget);
    byte[] big = random(50_000, 9);
    fixture.file("a.bin", big, 20_000);
    fixture.seal();
    Path pack = fixture.storeRoot.resolve(fixture.packs.get(2));
    byte[] bytes = Files.readAllBytes(pack);
    Files.write(pack, java.util.Arrays.copyOf(bytes, bytes.length - 100));
    Path target = dir.resolve("restored");

    assertThatThrownBy(() -> fixture.restore(target))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.OBJECT_CORRUPT))
        .hasMessageContaining("of a.bin in pack " + fixture.packs.get(2) + " at offset 0")
        .hasMessageContaining("is damaged (the pack ends before it)");
    assertThat(target).doesNotExist();
    assertThat(fixture.scratch).isEmptyDirectory();
  }

  @Test
  void aMissingPackFailsTheRestoreWithChunkMissing() throws IOException {
    Fixture fixture = new Fixture();
    fixture.file("a.txt", "content".getBytes(StandardCharsets.UTF_8), 1 << 20);
    fixture.seal();
    Files.delete(fixture.storeRoot.resolve(fixture.packs.get(0)));

    assertThatThrownBy(() -> fixture.restore(dir.resolve("restored")))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.CHUNK_MISSING))
        .hasMessageContaining("pack " + fixture.packs.get(0) + " (chunk ")
        .hasMessageContaining("of a.txt) is missing");
  }

  @Test
  void aSnapshotPathClimbingOutIsRefused() throws IOException {
    Fixture fixture = new Fixture();
    fixture.file("ok.txt", "fine".getBytes(StandardCharsets.UTF_8), 1 << 20);
    fixture.file("../escaped.txt", "evil".getBytes(StandardCharsets.UTF_8), 1 << 20);

    assertUnsafe(fixture, "archive entry '../escaped.txt' climbs out with '..'");
    assertThat(dir.resolve("escaped.txt")).doesNotExist();
  }

  @Test
  void anAbsoluteSnapshotPathIsRefusedNotMadeRelative() throws IOException {
    Fixture fixture = new Fixture();
    String outside = dir.resolve("outside.txt").toString();
    fixture.file(outside, "evil".getBytes(StandardCharsets.UTF_8), 1 << 20);

    assertUnsafe(fixture, "has an absolute or malformed path");
    assertThat(Path.of(outside)).doesNotExist();
  }

  @Test
  void aSymlinkLeavingTheTargetAndAFileWrittenThroughALinkAreRefused() throws IOException {
    Fixture out = new Fixture();
    out.symlink("escape", "../../outside");
    assertUnsafe(out, "archive entry 'escape' is a symlink to '../../outside', outside the target");

    Fixture through = new Fixture();
    through.dir("real", 0755);
    through.symlink("link", "real");
    through.file("link/inside.txt", "x".getBytes(StandardCharsets.UTF_8), 1 << 20);
    assertUnsafe(through, "would be written through the symlink link");
  }

  private void assertUnsafe(Fixture fixture, String message) {
    Path target = dir.resolve("restored-" + System.nanoTime());
    assertThatThrownBy(() -> fixture.restore(target))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> assertThat(e.type()).isEqualTo(ErrorType.UNSAFE_ARCHIVE_ENTRY))
        .hasMessageContaining(message);
    assertThat(target).doesNotExist();
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** Builds a snapshot with chunks packed into a filesystem store, and its manifest list. */
  private final class Fixture {
    final Path storeRoot;
    final FilesystemObjectStore store;
    final List<String> packs = new ArrayList<>();
    final Map<String, ChunkRef> chunks = new LinkedHashMap<>();
    final List<Snapshot.Node> nodes = new ArrayList<>();
    final List<FileEntry> manifest = new ArrayList<>();
    final Map<String, byte[]> pending = new LinkedHashMap<>();
    ChunkReader reader;
    ParallelChunkReader parallelReader;
    Path scratch;
    final long memoryBudget;
    long heldWhenDone = -1;
    boolean sealed;

    Fixture() throws IOException {
      this(-1);
    }

    /** Packs kept in memory within {@code memoryBudget} bytes (see the reader's constructor). */
    Fixture(long memoryBudget) throws IOException {
      this.memoryBudget = memoryBudget;
      storeRoot = Files.createTempDirectory(dir, "store");
      store = new FilesystemObjectStore(new FilesystemRepositoryConfig("main", storeRoot));
    }

    void dir(String path, int mode) {
      nodes.add(new Snapshot.Node(path, "dir", 0, mode, 1_700_000_000_000L, null, List.of()));
      manifest.add(new FileEntry(path, "dir", 0, null, mode, 1_700_000_000_000L, null));
    }

    void symlink(String path, String target) {
      nodes.add(new Snapshot.Node(path, "symlink", 0, 0777, 1_700_000_000_000L, target, List.of()));
      manifest.add(new FileEntry(path, "symlink", 0, null, 0777, 1_700_000_000_000L, target));
    }

    /** A file cut into {@code chunkSize} chunks, each in a pack of its own. */
    void file(String path, byte[] content, int chunkSize) {
      List<String> ids = new ArrayList<>();
      for (int offset = 0; offset < content.length; offset += chunkSize) {
        byte[] piece =
            java.util.Arrays.copyOfRange(
                content, offset, Math.min(content.length, offset + chunkSize));
        String id = crypto.id(piece, piece.length);
        ids.add(id);
        pending.put(
            id, crypto.seal(id, piece, piece.length, ChunkCrypto.compresses(piece, piece.length)));
      }
      nodes.add(
          new Snapshot.Node(path, "file", content.length, 0640, 1_700_000_000_000L, null, ids));
      manifest.add(
          new FileEntry(
              path,
              "file",
              content.length,
              Digests.hex(sha256(content)),
              0640,
              1_700_000_000_000L,
              null));
    }

    void seal() throws IOException {
      if (sealed) {
        return;
      }
      sealed = true;
      for (Map.Entry<String, byte[]> chunk : pending.entrySet()) {
        String key = "models/packs/" + String.format("%02d", packs.size());
        Path file = Files.createTempFile(dir, "pack", ".bin");
        Files.write(file, chunk.getValue());
        store.putFile(
            file,
            key,
            new ObjectAttributes(FilesystemRepositoryConfig.STORAGE_CLASS, Map.of(), Map.of()));
        packs.add(key);
        chunks.put(chunk.getKey(), new ChunkRef(key, 0, chunk.getValue().length));
      }
    }

    /** Restores as a restore does: files written straight from chunks opened in parallel. */
    void restore(Path target) throws IOException {
      restore(target, false);
    }

    void restore(Path target, boolean force) throws IOException {
      seal();
      Snapshot snapshot = new Snapshot(1, crypto.keyId(), 1 << 20, chunks, nodes);
      scratch = Files.createTempDirectory(dir, "scratch");
      try (ParallelChunkReader parallel =
          new ParallelChunkReader(
              store, crypto, snapshot, scratch, "backup 'models-1'", 2, memoryBudget)) {
        parallelReader = parallel;
        try {
          restorer.restoreSnapshot(
              snapshot, parallel, target, "r1", force, manifest.iterator(), bytes -> {});
        } finally {
          // Closing gives every byte back; what is still held must be measured before it.
          heldWhenDone = parallel.memoryHeld();
        }
      }
    }

    /** Restores through the tar stream a rehydration reads ({@link SnapshotTar}). */
    void restoreThroughTar(Path target) throws IOException {
      seal();
      Snapshot snapshot = new Snapshot(1, crypto.keyId(), 1 << 20, chunks, nodes);
      Path scratch = Files.createTempDirectory(dir, "scratch");
      reader = new ChunkReader(store, crypto, snapshot, scratch, "backup 'models-1'");
      try (InputStream tar = SnapshotTar.open(snapshot, reader)) {
        restorer.restore(tar, target, "r1", false, manifest.iterator(), bytes -> {});
      } finally {
        reader.close();
      }
    }
  }

  private static java.security.MessageDigest sha256(byte[] data) {
    java.security.MessageDigest digest = Digests.sha256();
    digest.update(data);
    return digest;
  }

  private static EncryptionKey key(int seed) {
    byte[] material = new byte[32];
    new Random(seed).nextBytes(material);
    return EncryptionKey.of(material, "k" + seed);
  }
}
