package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Crc64Nvme;
import dev.vigil.activities.common.Digests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checksums taken while a file is written, in pieces of any size, equal those of a read of the
 * whole file: per part (combined from 1 MiB blocks) and for all of it.
 */
class WrittenChecksumsTest {
  private static final int MIB = 1 << 20;

  @Test
  void partCrcsCombinedFromBlocksEqualTheCrcsOfThePartsRead() {
    byte[] file = new byte[17 * MIB + 12_345];
    new Random(11).nextBytes(file);
    WrittenChecksums written = write(file, 1, 700_001, 3 * MIB + 7, 1);

    assertThat(written.size()).isEqualTo(file.length);
    assertThat(written.sha256()).isEqualTo(sha256(file));
    assertThat(written.whole()).isEqualTo(Crc64Nvme.of(file));
    for (long partSize : new long[] {5L * MIB, 16L * MIB}) {
      assertThat(written.fits(partSize)).isTrue();
      for (long offset = 0; offset < file.length; offset += partSize) {
        int length = (int) Math.min(partSize, file.length - offset);
        byte[] part = Arrays.copyOfRange(file, (int) offset, (int) offset + length);
        assertThat(written.crc(offset, length)).isEqualTo(Crc64Nvme.of(part));
      }
    }
  }

  @Test
  void partsThatDoNotFallOnBlocksAreLeftToARead() {
    byte[] file = new byte[3 * MIB];
    WrittenChecksums written = write(file, MIB);

    assertThat(written.fits(5L * MIB + 1)).isFalse();
    assertThatThrownBy(() -> written.crc(1, MIB)).isInstanceOf(IllegalArgumentException.class);
    assertThat(write(new byte[0], 1).whole()).isEqualTo(Crc64Nvme.of(new byte[0]));
  }

  @Test
  void aRecorderGivesThePartsCrcsWhileTheFileIsStillWritten() {
    byte[] file = new byte[7 * MIB + 4_321];
    new Random(5).nextBytes(file);
    WrittenChecksums.Recorder recorder = WrittenChecksums.Recorder.crcOnly();
    long partSize = 2L * MIB;
    int written = 0;
    long nextPart = 0;
    while (written < file.length) {
      int piece = Math.min(300_007, file.length - written);
      recorder.update(file, written, piece);
      written += piece;
      // Every part the bytes so far complete, as the early upload asks for them.
      while (nextPart + partSize <= recorder.size()) {
        assertThat(recorder.crc(nextPart, partSize)).isEqualTo(crcOf(file, nextPart, partSize));
        nextPart += partSize;
      }
    }
    // The short last part, once everything is written, then the block in progress is not lost.
    long last = file.length - nextPart;
    assertThat(recorder.crc(nextPart, last)).isEqualTo(crcOf(file, nextPart, last));
    assertThat(recorder.crc(7L * MIB, 4_321)).isEqualTo(crcOf(file, 7L * MIB, 4_321));
    assertThatThrownBy(() -> recorder.crc(0, file.length + 1L))
        .isInstanceOf(IllegalArgumentException.class);

    WrittenChecksums done = recorder.finish(sha256(file));
    assertThat(done.whole()).isEqualTo(Crc64Nvme.of(file));
    assertThat(done.sha256()).isEqualTo(sha256(file));
    assertThatThrownBy(WrittenChecksums.Recorder.crcOnly()::finish)
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void keptChecksumsAreReadBackOnlyForTheFileTheyDescribe(@TempDir Path dir) throws IOException {
    byte[] file = new byte[3 * MIB + 99];
    new Random(3).nextBytes(file);
    WrittenChecksums written = write(file, 65_536);
    Path sums = dir.resolve("data.vgl.sums");
    written.writeTo(sums);

    WrittenChecksums read =
        WrittenChecksums.readFrom(sums, file.length, sha256(file)).orElseThrow();
    assertThat(read.whole()).isEqualTo(Crc64Nvme.of(file));
    assertThat(read.crc(MIB, 2L * MIB + 99)).isEqualTo(crcOf(file, MIB, 2L * MIB + 99));
    assertThat(dir.resolve("data.vgl.sums.partial")).doesNotExist();

    // Another size, another SHA-256, a file cut short or grown, none at all: read the file instead.
    assertThat(WrittenChecksums.readFrom(sums, file.length + 1L, sha256(file))).isEmpty();
    assertThat(WrittenChecksums.readFrom(sums, file.length, sha256(new byte[1]))).isEmpty();
    byte[] kept = Files.readAllBytes(sums);
    Files.write(sums, Arrays.copyOf(kept, kept.length - 3));
    assertThat(WrittenChecksums.readFrom(sums, file.length, sha256(file))).isEmpty();
    Files.write(sums, Arrays.copyOf(kept, kept.length + 8));
    assertThat(WrittenChecksums.readFrom(sums, file.length, sha256(file))).isEmpty();
    assertThat(WrittenChecksums.readFrom(dir.resolve("absent"), file.length, sha256(file)))
        .isEmpty();
  }

  private static long crcOf(byte[] file, long offset, long length) {
    return Crc64Nvme.of(Arrays.copyOfRange(file, (int) offset, (int) (offset + length)));
  }

  /** Writes {@code file} in pieces of the given sizes, cycling through them. */
  private static WrittenChecksums write(byte[] file, int... pieces) {
    WrittenChecksums.Recorder recorder = new WrittenChecksums.Recorder();
    int offset = 0;
    for (int piece = 0; offset < file.length; piece++) {
      int length = Math.min(pieces[piece % pieces.length], file.length - offset);
      recorder.update(file, offset, length);
      offset += length;
    }
    return recorder.finish();
  }

  private static String sha256(byte[] bytes) {
    var digest = Digests.sha256();
    digest.update(bytes);
    return Digests.hex(digest);
  }
}
