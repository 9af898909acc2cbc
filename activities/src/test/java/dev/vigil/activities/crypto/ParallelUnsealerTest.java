package dev.vigil.activities.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ParallelUnsealerTest {
  private static final String CONTEXT = "vigil/v1 backup=files-1 source=files";
  private static final int SEGMENT = 1 << 20;

  private final Sealer sealer = new Sealer(key(1));

  @Test
  void parallelOutputIsTheSingleThreadedOutputOnCompressibleData() throws Exception {
    StringBuilder text = new StringBuilder();
    Random random = new Random(3);
    while (text.length() < 40 << 20) {
      text.append("message ").append(random.nextInt(1_000_000)).append(" about the order\n");
    }
    byte[] raw = text.toString().getBytes(StandardCharsets.UTF_8);
    byte[] sealed = seal(raw, "zstd");
    assertThat(sealed.length).isGreaterThan(3 * SEGMENT);

    assertAllThreadCountsGive(sealed, raw);
  }

  @Test
  void parallelOutputIsTheSingleThreadedOutputOnIncompressibleData() throws Exception {
    byte[] raw = new byte[9 * SEGMENT + 12_345];
    new Random(4).nextBytes(raw);

    assertAllThreadCountsGive(seal(raw, "none"), raw);
  }

  @Test
  void plaintextFillingWholeSegmentsAndEmptyPlaintextRoundTrip() throws Exception {
    // The plaintext of a first segment and of the others: the last segment is exactly full.
    byte[] full = new byte[(SEGMENT - 16 - 40) + 3 * (SEGMENT - 16)];
    new Random(5).nextBytes(full);

    assertAllThreadCountsGive(seal(full, "none"), full);
    assertAllThreadCountsGive(seal(new byte[0], "none"), new byte[0]);
    assertAllThreadCountsGive(seal(new byte[0], "zstd"), new byte[0]);
  }

  @Test
  void sealedDataCutAtASegmentBoundaryFails() throws Exception {
    byte[] raw = new byte[6 * SEGMENT];
    new Random(6).nextBytes(raw);
    byte[] sealed = seal(raw, "none");
    int header = headerLength(sealed);
    byte[] cut = Arrays.copyOf(sealed, header + 3 * SEGMENT);

    for (int threads : new int[] {1, 2, 4}) {
      assertThatThrownBy(() -> unseal(cut, threads))
          .isInstanceOf(VigilException.class)
          .hasMessageContaining("failed authentication at segment 2 (its last)")
          .satisfies(
              e -> assertThat(((VigilException) e).type()).isEqualTo(ErrorType.DUMP_INVALID));
    }
    assertThatThrownBy(() -> sealer.unseal(new ByteArrayInputStream(cut), sink(), CONTEXT))
        .isInstanceOf(VigilException.class);
  }

  @Test
  void sealedDataCutWithinASegmentFails() throws Exception {
    byte[] raw = new byte[6 * SEGMENT];
    new Random(7).nextBytes(raw);
    byte[] sealed = seal(raw, "zstd");
    byte[] cut = Arrays.copyOf(sealed, headerLength(sealed) + 4 * SEGMENT + 1000);

    for (int threads : new int[] {1, 3}) {
      assertThatThrownBy(() -> unseal(cut, threads))
          .isInstanceOf(VigilException.class)
          .hasMessageContaining("failed authentication at segment 4 (its last)");
    }
  }

  @Test
  void aByteFlippedInAMiddleSegmentFailsAtThatSegment() throws Exception {
    byte[] raw = new byte[8 * SEGMENT];
    new Random(8).nextBytes(raw);
    byte[] sealed = seal(raw, "none");
    sealed[headerLength(sealed) + 4 * SEGMENT + 777] ^= 0x01;

    for (int threads : new int[] {1, 2, 4}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertThatThrownBy(
              () ->
                  new ParallelUnsealer(sealer, threads)
                      .unseal(new ByteArrayInputStream(sealed), out, CONTEXT))
          .isInstanceOf(VigilException.class)
          .hasMessage(
              "sealed data failed authentication at segment 4: altered, truncated, or sealed for"
                  + " another backup or key");
      // Nothing of the altered segment or after it was handed on.
      assertThat(out.size()).isLessThanOrEqualTo(4 * SEGMENT);
    }
  }

  @Test
  void aReaderThatStopsEarlyLearnsOfTheTruncationWhenItFinishes() throws Exception {
    byte[] raw = new byte[5 * SEGMENT];
    new Random(9).nextBytes(raw);
    byte[] sealed = seal(raw, "none");
    byte[] cut = Arrays.copyOf(sealed, headerLength(sealed) + 4 * SEGMENT);

    try (UnsealedStream plain =
        new ParallelUnsealer(sealer, 2)
            .open(new ByteArrayInputStream(cut), CONTEXT, "backup 'x'")) {
      assertThat(plain.readNBytes(1000)).isEqualTo(Arrays.copyOf(raw, 1000));
      assertThatThrownBy(plain::finish)
          .isInstanceOf(VigilException.class)
          .hasMessageStartingWith("backup 'x' failed authentication at segment 3 (its last)");
    }
  }

  @Test
  void progressIsReportedWhileOneLongStreamIsRead() throws Exception {
    byte[] raw = new byte[40 * SEGMENT];
    new Random(10).nextBytes(raw);
    byte[] sealed = seal(raw, "none");
    List<Long> reported = new ArrayList<>();

    try (UnsealedStream plain =
        new ParallelUnsealer(sealer, 2)
            .open(new ByteArrayInputStream(sealed), CONTEXT, "sealed data", reported::add)) {
      assertThat(plain.finish()).isEqualTo(raw.length);
    }

    assertThat(reported).hasSize(2).isSorted();
    assertThat(reported.get(0)).isBetween(15L * SEGMENT, 16L * SEGMENT);
  }

  @Test
  void aByteFlippedInACompressedStreamFailsOnEveryThreadCount() throws Exception {
    StringBuilder text = new StringBuilder();
    Random random = new Random(12);
    while (text.length() < 30 << 20) {
      text.append("row ").append(random.nextLong()).append(" of the table\n");
    }
    byte[] sealed = seal(text.toString().getBytes(StandardCharsets.UTF_8), "zstd");
    assertThat(sealed.length).isGreaterThan(4 * SEGMENT);
    sealed[headerLength(sealed) + 3 * SEGMENT + 99] ^= 0x01;

    for (int threads : new int[] {1, 2, 4}) {
      assertThatThrownBy(() -> unseal(sealed, threads))
          .isInstanceOfSatisfying(
              VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID))
          .hasMessageContaining("failed authentication at segment 3");
    }
  }

  @Test
  void dataSealedForAnotherBackupFailsAtItsFirstSegment() throws Exception {
    byte[] raw = "hello".getBytes(StandardCharsets.UTF_8);
    byte[] sealed = seal(raw, "none");

    assertThatThrownBy(
            () ->
                new ParallelUnsealer(sealer, 2)
                    .unseal(new ByteArrayInputStream(sealed), sink(), CONTEXT + "-other"))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining("failed authentication at segment 0");
  }

  private void assertAllThreadCountsGive(byte[] sealed, byte[] raw) throws IOException {
    ByteArrayOutputStream single = new ByteArrayOutputStream();
    long singleBytes = sealer.unseal(new ByteArrayInputStream(sealed), single, CONTEXT);
    assertThat(single.toByteArray()).isEqualTo(raw);
    for (int threads : new int[] {1, 2, 4}) {
      ByteArrayOutputStream parallel = new ByteArrayOutputStream();
      long bytes =
          new ParallelUnsealer(sealer, threads)
              .unseal(new ByteArrayInputStream(sealed), parallel, CONTEXT);
      assertThat(bytes).isEqualTo(singleBytes);
      assertThat(parallel.toByteArray()).isEqualTo(single.toByteArray());
    }
  }

  private long unseal(byte[] sealed, int threads) throws IOException {
    return new ParallelUnsealer(sealer, threads)
        .unseal(new ByteArrayInputStream(sealed), sink(), CONTEXT);
  }

  private byte[] seal(byte[] raw, String compression) throws IOException {
    ByteArrayOutputStream sealed = new ByteArrayOutputStream();
    sealer.seal(new ByteArrayInputStream(raw), sealed, compression, CONTEXT, bytes -> {});
    return sealed.toByteArray();
  }

  /** The length of Vigil's own header: magic, version, compression, key id. */
  private static int headerLength(byte[] sealed) {
    return 4 + 1 + 1 + 1 + (sealed[6] & 0xff);
  }

  private static ByteArrayOutputStream sink() {
    return new ByteArrayOutputStream();
  }

  private static EncryptionKey key(int seed) {
    byte[] material = new byte[32];
    new Random(seed).nextBytes(material);
    return EncryptionKey.of(material, null);
  }
}
