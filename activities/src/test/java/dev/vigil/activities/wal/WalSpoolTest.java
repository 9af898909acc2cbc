package dev.vigil.activities.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The asynchronous push's markers: when one is trusted, and what it never lets through. */
class WalSpoolTest {
  private static final String SEGMENT = "000000010000000000000003";

  @TempDir Path dir;
  private Path pgWal;
  private Path segment;
  private WalSpool spool;

  @BeforeEach
  void walDirectoryWithOneSegment() throws IOException {
    pgWal = Files.createDirectories(dir.resolve("data/pg_wal"));
    Files.createDirectories(pgWal.resolve("archive_status"));
    segment = pgWal.resolve(SEGMENT);
    byte[] bytes = new byte[64 * 1024];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (i * 31);
    }
    Files.write(segment, bytes);
    spool = WalSpool.open(dir.resolve("spool"), "appdb", pgWal);
  }

  private WalArchive.Pushed pushedAs(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    return new WalArchive.Pushed(
        WalFileName.parse(SEGMENT),
        "prod/appdb/wal/00000001/" + SEGMENT + ".vgl",
        bytes.length,
        HexFormat.of().formatHex(Digests.sha256().digest(bytes)),
        1000,
        false);
  }

  @Test
  void aMarkerOfTheSameBytesIsTrustedOnceAndConsumed() throws IOException {
    spool.markStored(pushedAs(segment));
    Path marker = dir.resolve("spool/appdb/" + SEGMENT + ".ok");
    assertThat(Files.readString(marker, StandardCharsets.US_ASCII)).matches("[0-9a-f]{64} 65536\n");

    assertThat(spool.consumeIfStored(segment)).isTrue();
    assertThat(marker).doesNotExist();
    assertThat(spool.consumeIfStored(segment)).isFalse();
  }

  @Test
  void aMarkerOfOtherBytesOfTheSameSizeIsNotTrustedAndIsRemoved() throws IOException {
    spool.markStored(pushedAs(segment));
    byte[] bytes = Files.readAllBytes(segment);
    bytes[bytes.length / 2] ^= 1;
    Files.write(segment, bytes);

    assertThat(spool.consumeIfStored(segment)).isFalse();
    assertThat(spool.hasMarker(WalFileName.parse(SEGMENT))).isFalse();
  }

  @Test
  void aMarkerOfAnotherSizeOrWithGarbageIsNotTrusted() throws IOException {
    Path marker = spool.marker(WalFileName.parse(SEGMENT));
    String sha = pushedAs(segment).sha256();
    for (String lie :
        new String[] {
          sha + " 65535\n",
          sha + " 65536 extra\n",
          sha.toUpperCase() + " 65536\n",
          sha.substring(1) + " 65536\n",
          "",
          "ok\n"
        }) {
      Files.writeString(marker, lie, StandardCharsets.US_ASCII);
      assertThat(spool.consumeIfStored(segment)).as(lie).isFalse();
      assertThat(marker).as(lie).doesNotExist();
    }
  }

  @Test
  void markersAreWrittenWholeWithNoTemporaryFileLeft() throws IOException {
    spool.markStored(pushedAs(segment));
    try (Stream<Path> files = Files.list(dir.resolve("spool/appdb"))) {
      assertThat(files.map(path -> path.getFileName().toString())).containsExactly(SEGMENT + ".ok");
    }
  }

  @Test
  void readyFilesAreListedInWalOrderAndOtherNamesAreSkipped() throws IOException {
    Path status = pgWal.resolve("archive_status");
    for (String name :
        new String[] {
          "000000010000000000000005.ready",
          "000000010000000000000004.ready",
          "000000010000000000000002.done",
          "00000002.history.ready",
          "..ready",
          "junk.ready",
          "000000010000000000000006.ready.tmp"
        }) {
      Files.createFile(status.resolve(name));
    }

    assertThat(WalSpool.ready(pgWal).stream().map(WalFileName::name))
        .containsExactly(
            "000000010000000000000004", "000000010000000000000005", "00000002.history");
  }

  @Test
  void markersOfFilesGoneOrDoneAndLeftoverTemporaryFilesAreRemoved() throws IOException {
    spool.markStored(pushedAs(segment));
    Path gone = spool.marker(WalFileName.parse("000000010000000000000001"));
    Files.writeString(gone, "x");
    Path archivedOtherwise = pgWal.resolve("000000010000000000000002");
    Files.writeString(archivedOtherwise, "wal");
    Files.createFile(pgWal.resolve("archive_status/000000010000000000000002.done"));
    Path done = spool.marker(WalFileName.parse("000000010000000000000002"));
    Files.writeString(done, "x");
    Path leftover = dir.resolve("spool/appdb/." + SEGMENT + ".123.tmp");
    Files.writeString(leftover, "half");

    spool.removeOrphans(pgWal);

    assertThat(gone).doesNotExist();
    assertThat(done).doesNotExist();
    assertThat(leftover).doesNotExist();
    assertThat(spool.hasMarker(WalFileName.parse(SEGMENT))).isTrue();
  }

  @Test
  void aSpoolInsideTheDataDirectoryIsRefused() {
    for (Path inside : new Path[] {dir.resolve("data/vigil-spool"), pgWal.resolve("spool")}) {
      assertThatThrownBy(() -> WalSpool.open(inside, "appdb", pgWal))
          .isInstanceOfSatisfying(
              VigilException.class,
              e -> {
                assertThat(e.type()).isEqualTo(ErrorType.INVALID_CONFIG);
                assertThat(e.getMessage()).contains("inside PostgreSQL's data directory");
              });
      assertThat(inside).doesNotExist();
    }
  }

  @Test
  void aSourceNameThatCouldLeaveTheSpoolIsRefused() {
    for (String hostile : new String[] {"../appdb", "app/db", "..", "", "AppDB"}) {
      assertThatThrownBy(() -> WalSpool.open(dir.resolve("spool"), hostile, pgWal))
          .isInstanceOfSatisfying(
              VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.INVALID_CONFIG));
    }
    assertThat(dir.resolve("appdb")).doesNotExist();
  }
}
