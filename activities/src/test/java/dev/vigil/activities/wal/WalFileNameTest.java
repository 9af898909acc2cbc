package dev.vigil.activities.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which names wal-push and wal-fetch accept, and where each is stored. */
class WalFileNameTest {

  @Test
  void aSegmentIsStoredUnderItsTimeline() {
    WalFileName name = WalFileName.parse("0000000A0000001F000000C3");

    assertThat(name.timeline()).isEqualTo("0000000A");
    assertThat(name.isSegment()).isTrue();
    assertThat(name.relativeKey("appdb"))
        .isEqualTo("appdb/wal/0000000A/0000000A0000001F000000C3.vgl");
  }

  @Test
  void historyFilesBackupLabelsAndPartialSegmentsAreAccepted() {
    assertThat(WalFileName.parse("00000002.history").relativeKey("appdb"))
        .isEqualTo("appdb/wal/00000002/00000002.history.vgl");
    assertThat(WalFileName.parse("000000010000000000000003.00000028.backup").relativeKey("appdb"))
        .isEqualTo("appdb/wal/00000001/000000010000000000000003.00000028.backup.vgl");
    WalFileName partial = WalFileName.parse("000000010000000000000007.partial");
    assertThat(partial.relativeKey("appdb"))
        .isEqualTo("appdb/wal/00000001/000000010000000000000007.partial.vgl");
    assertThat(partial.isSegment()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "../../other/wal/00000001/000000010000000000000001",
        "00000001/000000010000000000000001",
        "000000010000000000000001/..",
        "..",
        "000000010000000000000001.vgl",
        "00000001000000000000000",
        "0000000100000000000000011",
        "000000010000000000000001 ",
        "00000001000000000000000g",
        "000000010000000000000001\n",
        "00000002.history/../../x",
        "postgresql.conf",
        "RECOVERYHISTORY",
        "RECOVERYXLOG"
      })
  void anythingElseIsRefusedSoNoNameReachesOutsideItsPlace(String hostile) {
    assertThatThrownBy(() -> WalFileName.parse(hostile))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.WAL_NAME_INVALID);
              assertThat(e.getMessage()).doesNotContain("\n").contains("is not a WAL file name");
            });
  }
}
