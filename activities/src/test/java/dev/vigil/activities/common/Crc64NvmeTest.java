package dev.vigil.activities.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Crc64Nvme} against published vectors, and its combine against one pass. */
class Crc64NvmeTest {

  @Test
  void matchesTheCatalogCheckValueAndTheAwsVectors() {
    // CRC-64/NVME check value (CRC RevEng catalogue) over "123456789".
    assertThat(Crc64Nvme.of("123456789".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(0xae8b14860a799888L);
    // The AWS SDKs' flexible-checksum vectors, as S3 writes them (base64, big-endian).
    assertThat(Crc64Nvme.base64(Crc64Nvme.of("Hello world".getBytes(StandardCharsets.US_ASCII))))
        .isEqualTo("OOJZ0D8xKts=");
    assertThat(Crc64Nvme.base64(Crc64Nvme.of(new byte[0]))).isEqualTo("AAAAAAAAAAA=");
  }

  @Test
  void updatesInPiecesOfAnyLengthGiveTheOnePassValue() {
    byte[] bytes = new byte[100_003];
    new Random(7).nextBytes(bytes);
    long whole = Crc64Nvme.of(bytes);
    Crc64Nvme pieces = new Crc64Nvme();
    int offset = 0;
    for (int length : new int[] {1, 7, 8, 9, 4096, 13}) {
      pieces.update(bytes, offset, length);
      offset += length;
    }
    pieces.update(bytes, offset, bytes.length - offset);
    assertThat(pieces.value()).isEqualTo(whole);
  }

  @Test
  void theInterleavedLanesGiveTheBitwiseDefinitionsValueForAnyOffsetAndLength() {
    byte[] bytes = new byte[5 * 3 * Crc64Nvme.LANE + 101];
    Random random = new Random(13);
    random.nextBytes(bytes);
    int lanes = 3 * Crc64Nvme.LANE;
    // Around every multiple of three lanes (where the interleaved path starts and ends), and
    // random.
    for (int length : new int[] {0, 7, lanes - 1, lanes, lanes + 1, lanes + 8, 2 * lanes + 9}) {
      for (int offset : new int[] {0, 1, 5, 8, 13}) {
        assertThat(crcOf(bytes, offset, length))
            .as("offset %d, length %d", offset, length)
            .isEqualTo(bitwise(bytes, offset, length));
      }
    }
    for (int n = 0; n < 200; n++) {
      int offset = random.nextInt(64);
      int length = random.nextInt(bytes.length - offset + 1);
      assertThat(crcOf(bytes, offset, length))
          .as("offset %d, length %d", offset, length)
          .isEqualTo(bitwise(bytes, offset, length));
    }
  }

  @Test
  void aRangeOutsideTheArrayIsRefused() {
    assertThatThrownBy(() -> new Crc64Nvme().update(new byte[10], 4, 7))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  private static long crcOf(byte[] bytes, int offset, int length) {
    Crc64Nvme crc = new Crc64Nvme();
    crc.update(bytes, offset, length);
    return crc.value();
  }

  /** The CRC from its definition, one bit at a time: nothing shared with the tables. */
  private static long bitwise(byte[] bytes, int offset, int length) {
    long crc = -1L;
    for (int i = offset; i < offset + length; i++) {
      crc ^= bytes[i] & 0xffL;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x9a6c9329ac4bc9b5L : crc >>> 1;
      }
    }
    return ~crc;
  }

  @Test
  void combiningTheCrcsOfAdjacentRangesGivesTheCrcOfBoth() {
    byte[] bytes = new byte[3 * 65_536 + 17];
    new Random(11).nextBytes(bytes);
    for (int split : new int[] {0, 1, 8, 65_536, bytes.length - 1, bytes.length}) {
      Crc64Nvme first = new Crc64Nvme();
      first.update(bytes, 0, split);
      Crc64Nvme second = new Crc64Nvme();
      second.update(bytes, split, bytes.length - split);
      assertThat(Crc64Nvme.combine(first.value(), second.value(), bytes.length - split))
          .as("split at %d", split)
          .isEqualTo(Crc64Nvme.of(bytes));
    }
  }
}
