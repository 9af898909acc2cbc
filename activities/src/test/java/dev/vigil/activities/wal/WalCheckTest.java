package dev.vigil.activities.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class WalCheckTest {
  private static PhysicalBackup backup(String id, String startLsn) {
    return new PhysicalBackup(id, "ARCHIVED", startLsn, 1, Instant.parse("2026-12-01T01:00:00Z"));
  }

  private static WalChain chain(String... names) {
    return WalChain.list(WalListing.of(List.of(names)), "appdb", WalSegment.DEFAULT_SIZE);
  }

  @Test
  void aGapNamesItsSegmentsAndTheBaseBackupThatEndsIt() {
    WalChain chain =
        chain(
            "000000010000000000000003",
            "000000010000000000000004",
            "000000010000000000000005",
            "000000010000000000000006",
            "00000001000000000000000A",
            "00000001000000000000000B",
            "00000001000000000000000C");

    WalStatus status =
        WalCheck.status(
            "appdb", chain, List.of(backup("b2", "0/B000028"), backup("b1", "0/3000028")));

    assertThat(status.gapSegments()).isEqualTo(3);
    assertThat(status.problems())
        .containsExactly(
            "appdb: WAL gap on timeline 1: 000000010000000000000007..000000010000000000000009"
                + " missing (3 segments); point-in-time recovery is not possible between"
                + " 000000010000000000000006 (archived 1970-01-01T00:16:43Z) and base backup b2"
                + " (2026-12-01T01:00:00Z) taken after the gap");
  }

  @Test
  void aGapNoBaseBackupFollowsAndAMissingStartSegmentAreProblemsToo() {
    WalChain chain =
        chain("000000010000000000000003", "000000010000000000000005", "000000010000000000000006");

    WalStatus status =
        WalCheck.status(
            "appdb", chain, List.of(backup("b1", "0/3000028"), backup("b9", "0/9000000")));

    assertThat(status.problems())
        .containsExactly(
            "appdb: WAL gap on timeline 1: 000000010000000000000004 missing (1 segment);"
                + " point-in-time recovery is not possible to any point after"
                + " 000000010000000000000003 (archived 1970-01-01T00:16:40Z); take a new base"
                + " backup with `vigil backup --source appdb`",
            "appdb: base backup b9 cannot be restored: its start segment 000000010000000000000009"
                + " is missing from the archive"
                + " (prod/appdb/wal/00000001/000000010000000000000009.vgl)");
    assertThat(status.gapSegments()).isEqualTo(2);
  }

  @Test
  void aWholeChainIsOneSummaryLineWithTheAgeOfTheLastSegment() {
    WalChain chain =
        chain(
            "000000010000000000000002",
            "000000010000000000000003",
            "000000010000000000000004",
            "000000010000000000000004.00000028.backup");

    WalStatus status = WalCheck.status("appdb", chain, List.of(backup("b1", "0/3000028")));

    assertThat(status.ok()).isTrue();
    assertThat(WalCheck.summary(status, Instant.ofEpochSecond(1_002 + 120)))
        .isEqualTo(
            "appdb: WAL complete from 000000010000000000000003 (backup b1) to"
                + " 000000010000000000000004, 2 segments, last archived 2m 0s ago");
  }

  @Test
  void withoutAKeptBaseBackupPointInTimeRecoveryIsNotPossible() {
    WalStatus status =
        WalCheck.status(
            "appdb",
            chain("000000010000000000000003"),
            List.of(new PhysicalBackup("f", "FAILED", "0/3000028", 1, null)));

    assertThat(status.problems())
        .containsExactly(
            "appdb: no verified base backup, so point-in-time recovery is not possible; take one"
                + " with `vigil backup --source appdb`");
  }

  @Test
  void aLaterTimelineIsCheckedFromItsFirstArchivedSegment() {
    WalChain whole =
        chain(
            "000000010000000000000003",
            "000000010000000000000004",
            "000000010000000000000005",
            "00000002.history",
            "000000020000000000000005",
            "000000020000000000000006",
            "000000020000000000000007");
    WalChain holed =
        chain("000000010000000000000003", "000000020000000000000005", "000000020000000000000007");

    WalStatus ok = WalCheck.status("appdb", whole, List.of(backup("b1", "0/3000028")));
    WalStatus gap = WalCheck.status("appdb", holed, List.of(backup("b1", "0/3000028")));

    assertThat(ok.problems()).isEmpty();
    assertThat(ok.segments()).isEqualTo(6);
    assertThat(ok.newest()).isEqualTo("000000020000000000000007");
    assertThat(gap.problems())
        .singleElement()
        .asString()
        .startsWith(
            "appdb: WAL gap on timeline 2: 000000020000000000000006 missing (1 segment);"
                + " point-in-time recovery is not possible to any point after"
                + " 000000020000000000000005");
  }
}
