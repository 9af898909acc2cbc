package dev.vigil.activities.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import org.junit.jupiter.api.Test;

class WalSegmentTest {
  private static final long MIB16 = WalSegment.DEFAULT_SIZE;

  @Test
  void namesAndNumbersRoundTripAcrossTheHighWordBoundary() {
    WalSegment last = WalSegment.parse("0000000100000000000000FF", MIB16).orElseThrow();
    assertThat(last).isEqualTo(new WalSegment(1, 0xFF));
    assertThat(last.next().name(MIB16)).isEqualTo("000000010000000100000000");
    assertThat(WalSegment.parse("000000020000000A00000042", MIB16).orElseThrow())
        .isEqualTo(new WalSegment(2, 0xA * 256L + 0x42));
    // 64 MiB segments: 64 per high word, so 00000040 is not a segment name.
    assertThat(WalSegment.parse("000000010000000000000040", 64L << 20)).isEmpty();
    assertThat(WalSegment.parse("00000001.history", MIB16)).isEmpty();
  }

  @Test
  void theSegmentHoldingAnLsn() {
    assertThat(WalSegment.containing(1, "0/3000028", MIB16)).isEqualTo(new WalSegment(1, 3));
    assertThat(WalSegment.containing(1, "1/FF000000", MIB16).name(MIB16))
        .isEqualTo("0000000100000001000000FF");
    assertThat(WalSegment.lsnText(WalSegment.lsn("A/1B"))).isEqualTo("A/1B");
    assertThatThrownBy(() -> WalSegment.lsn("3000028"))
        .isInstanceOf(VigilException.class)
        .hasMessageContaining("'3000028' is not an LSN");
  }
}
