package dev.vigil.activities.cas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotCodecTest {
  @TempDir Path dir;

  @Test
  void everyFieldReadsBackAsItWasWritten() throws IOException {
    Snapshot snapshot = tree(300);
    Path file = dir.resolve("snapshot");
    SnapshotCodec.write(snapshot, file);

    assertThat(SnapshotCodec.isSnapshot(file)).isTrue();
    assertThat(SnapshotCodec.read(file)).isEqualTo(snapshot);
  }

  @Test
  void oddValuesSurviveTooIdsThatAreNotHexAChunkWithoutAPlaceNegativeTimesAndUnicodePaths()
      throws IOException {
    Map<String, ChunkRef> chunks = new LinkedHashMap<>();
    chunks.put("not-a-hex-id", new ChunkRef("p/packs/aa/one", 0, 10));
    List<Snapshot.Node> nodes =
        List.of(
            new Snapshot.Node("données", "dir", 0, 0755, -5_000, null, List.of()),
            new Snapshot.Node(
                "données/été.txt",
                "file",
                3,
                0644,
                1_000,
                null,
                List.of("not-a-hex-id", "missing-id", "not-a-hex-id")),
            new Snapshot.Node("lien", "symlink", 0, 0777, Long.MAX_VALUE, "données", List.of()));
    Snapshot snapshot = new Snapshot(SnapshotCodec.VERSION, "k-1", 1 << 20, chunks, nodes);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SnapshotCodec.write(snapshot, out);

    assertThat(SnapshotCodec.read(new ByteArrayInputStream(out.toByteArray()))).isEqualTo(snapshot);
  }

  @Test
  void aVersionOneJsonSnapshotStillReads() throws IOException {
    // Exactly how chunked backups wrote their snapshot before version 2.
    Snapshot old = new Snapshot(1, "k-old", 1 << 20, tree(50).chunks(), tree(50).files());
    Path file = dir.resolve("old.json");
    Json.MAPPER.writeValue(file.toFile(), old);

    assertThat(SnapshotCodec.isSnapshot(file)).isTrue();
    assertThat(SnapshotCodec.read(file)).isEqualTo(old);
  }

  @Test
  void theStreamIsReadToItsEndAndBytesAfterTheSnapshotAreRefused() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SnapshotCodec.write(tree(20), out);
    InputStream in = new ByteArrayInputStream(out.toByteArray());
    SnapshotCodec.read(in);
    assertThat(in.read()).isEqualTo(-1);

    out.write(new byte[] {1, 2, 3});
    assertThatThrownBy(() -> SnapshotCodec.read(new ByteArrayInputStream(out.toByteArray())))
        .hasMessageStartingWith("snapshot is malformed");
  }

  @Test
  void aSnapshotOfManySmallFilesTakesAboutItsChunkIdsAndLittleMore() throws IOException {
    Snapshot snapshot = tree(20_000);
    ByteArrayOutputStream binary = new ByteArrayOutputStream();
    SnapshotCodec.write(snapshot, binary);
    byte[] json = Json.MAPPER.writeValueAsBytes(snapshot);
    ByteArrayOutputStream compressedJson = new ByteArrayOutputStream();
    try (var zstd = new com.github.luben.zstd.ZstdOutputStream(compressedJson, 3)) {
      zstd.write(json);
    }

    // 20,000 one-chunk files: 32 bytes of random id each (640,000 bytes that cannot shrink),
    // plus what the columns leave after zstd. Version 1 was about 95 bytes per file compressed.
    assertThat(binary.size()).isLessThan(20_000 * 45);
    assertThat(compressedJson.size()).isGreaterThan(2 * binary.size());
  }

  @Test
  void anUnknownVersionIsRefusedByName() throws IOException {
    Path file = dir.resolve("future");
    Files.write(file, new byte[] {'V', 'S', 'N', 'P', 9, 0, 0});
    assertThatThrownBy(() -> SnapshotCodec.read(file))
        .hasMessageContaining("snapshot format version 9");
  }

  /** {@code files} text files of one chunk each in directories of 100, like the benchmark's. */
  private static Snapshot tree(int files) {
    Random random = new Random(files);
    Map<String, ChunkRef> chunks = new LinkedHashMap<>();
    List<Snapshot.Node> nodes = new ArrayList<>();
    long mtime = 1_764_000_000_000L;
    String pack = null;
    long offset = 0;
    for (int i = 0; i < files; i++) {
      String directory = "text/d%02d/s%02d".formatted(i % 20, i / 20 % 10);
      if (i % 100 == 0) {
        nodes.add(new Snapshot.Node(directory, "dir", 0, 0755, mtime, null, List.of()));
      }
      if (i % 2000 == 0) {
        pack = "prefix/models/packs/%02x/%032x".formatted(i % 256, random.nextLong());
        offset = 0;
      }
      byte[] id = new byte[32];
      random.nextBytes(id);
      int length = 500 + random.nextInt(7000);
      String hex = HexFormat.of().formatHex(id);
      chunks.put(hex, new ChunkRef(pack, offset, length));
      offset += length;
      nodes.add(
          new Snapshot.Node(
              directory + "/doc-%05d.txt".formatted(i),
              "file",
              1024 + random.nextInt(13 * 1024),
              0644,
              mtime + random.nextInt(5_000),
              null,
              List.of(hex)));
    }
    return new Snapshot(SnapshotCodec.VERSION, "k-1", 1 << 20, chunks, nodes);
  }
}
