package dev.vigil.activities.wal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.store.ObjectStore;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The chain logic over a listing (S3ObjectStore's listing itself is tested against S3Mock in
 * S3ObjectStoreIT).
 */
class WalChainTest {
  private static final long MIB16 = WalSegment.DEFAULT_SIZE;

  private static ObjectStore listing(List<String> names) {
    return WalListing.of(names);
  }

  @Test
  void aRunEndsAtTheFirstHoleAndSaysWhereTheArchiveResumes() {
    WalChain chain =
        WalChain.list(
            listing(
                List.of(
                    "0000000100000000000000FE",
                    "0000000100000000000000FF",
                    "000000010000000100000000",
                    "000000010000000100000003",
                    "000000010000000100000004",
                    "00000002000000010000000A",
                    "00000002.history")),
            "appdb",
            MIB16);

    WalChain.Run run = chain.from(new WalSegment(1, 0xFE));
    assertThat(chain.name(run.end())).isEqualTo("000000010000000100000000");
    assertThat(run.endsAtGap()).isTrue();
    assertThat(chain.name(run.firstMissing())).isEqualTo("000000010000000100000001");
    assertThat(chain.name(run.resumesAt())).isEqualTo("000000010000000100000003");
    assertThat(chain.gaps(new WalSegment(1, 0xFE)))
        .singleElement()
        .satisfies(
            gap -> {
              assertThat(chain.name(gap.first())).isEqualTo("000000010000000100000001");
              assertThat(gap.count()).isEqualTo(2);
            });

    WalChain.Run tail = chain.from(new WalSegment(1, 0x103));
    assertThat(tail.endsAtGap()).isFalse();
    assertThat(chain.name(tail.end())).isEqualTo("000000010000000100000004");
    assertThat(chain.timelines()).containsExactly(1, 2);
    assertThat(chain.last(2).map(chain::name)).contains("00000002000000010000000A");
    assertThat(chain.key(new WalSegment(1, 3)))
        .isEqualTo("prod/appdb/wal/00000001/000000010000000000000003.vgl");
  }

  @Test
  void aStartThatIsNotArchivedIsAnEmptyRun() {
    WalChain chain = WalChain.list(listing(List.of("000000010000000000000005")), "appdb", MIB16);
    WalChain.Run run = chain.from(new WalSegment(1, 3));
    assertThat(run.end()).isNull();
    assertThat(run.firstMissing()).isEqualTo(new WalSegment(1, 3));
    assertThat(run.resumesAt()).isEqualTo(new WalSegment(1, 5));
    assertThat(chain.gaps(new WalSegment(1, 3)))
        .containsExactly(new WalChain.Gap(new WalSegment(1, 3), new WalSegment(1, 4)));
    assertThat(chain.gaps(new WalSegment(1, 9))).isEmpty();
  }

  @Test
  void beforeAStartSegmentAreOlderSegmentsLabelsAndPartialsButNeverHistoryOrLaterTimelines() {
    WalChain chain =
        WalChain.list(
            listing(
                List.of(
                    "000000010000000000000001",
                    "000000010000000000000002",
                    "000000010000000000000002.00000028.backup",
                    "000000010000000000000003.partial",
                    "00000002.history",
                    "000000020000000000000003",
                    "000000020000000000000004",
                    "000000020000000000000004.00000060.backup",
                    "000000020000000000000005",
                    "000000030000000000000001")),
            "appdb",
            MIB16);

    assertThat(chain.before(new WalSegment(2, 4)))
        .extracting(object -> object.key().substring(object.key().lastIndexOf('/') + 1))
        .containsExactly(
            "000000010000000000000001.vgl",
            "000000010000000000000002.vgl",
            "000000010000000000000002.00000028.backup.vgl",
            "000000010000000000000003.partial.vgl",
            "000000020000000000000003.vgl");
    assertThat(chain.before(new WalSegment(1, 1))).isEmpty();
    assertThat(chain.segmentCount()).isEqualTo(6);
    assertThat(chain.newest().map(chain::name)).contains("000000030000000000000001");
    // The last segment listed was written last; labels and history do not count as archived WAL.
    assertThat(chain.lastArchivedAt()).contains(Instant.ofEpochSecond(1_009));
  }
}
