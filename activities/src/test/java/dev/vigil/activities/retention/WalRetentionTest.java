package dev.vigil.activities.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.store.ListedObject;
import dev.vigil.activities.wal.PhysicalBackup;
import dev.vigil.activities.wal.WalChain;
import dev.vigil.activities.wal.WalListing;
import dev.vigil.activities.wal.WalSegment;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class WalRetentionTest {
  private static final WalChain CHAIN =
      WalChain.list(
          WalListing.of(
              List.of(
                  "000000010000000000000001",
                  "000000010000000000000002",
                  "000000010000000000000003",
                  "000000010000000000000004")),
          "appdb",
          WalSegment.DEFAULT_SIZE);

  private static PhysicalBackup backup(String id, String startLsn) {
    return new PhysicalBackup(id, "ARCHIVED", startLsn, startLsn == null ? 0 : 1, Instant.EPOCH);
  }

  @Test
  void theOldestKeptBackupsStartSegmentBoundsWhatGoes() {
    WalRetention.Expired expired =
        WalRetention.expired(
            CHAIN, "appdb", List.of(backup("new", "0/4000028"), backup("old", "0/3000060")));

    assertThat(expired.expiry().keepFrom()).isEqualTo("000000010000000000000003");
    assertThat(expired.expiry().keptFor()).isEqualTo("old");
    assertThat(expired.expiry().segments()).isEqualTo(2);
    assertThat(expired.objects()).extracting(ListedObject::key).hasSize(2);
  }

  @Test
  void nothingGoesWhenNoBaseBackupIsKeptOrOneHasNoKnownStart() {
    WalRetention.Expired none = WalRetention.expired(CHAIN, "appdb", List.of());
    WalRetention.Expired unknown =
        WalRetention.expired(
            CHAIN, "appdb", List.of(backup("new", "0/4000028"), backup("legacy", null)));

    assertThat(none.objects()).isEmpty();
    assertThat(none.expiry().summary())
        .isEqualTo("WAL: nothing to delete (no verified base backup is kept)");
    assertThat(unknown.objects()).isEmpty();
    assertThat(unknown.expiry().note()).contains("legacy");
  }
}
