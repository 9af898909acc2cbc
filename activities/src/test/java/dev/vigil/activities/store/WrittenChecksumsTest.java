package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.Crc64Nvme;
import dev.vigil.activities.common.Digests;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

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
