package dev.vigil.activities.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.crypto.EncryptionKey;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.source.PgTools;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.RecoveryTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.WalRange;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The refusals {@link WalStaging} decides from the archive's listing alone, before any segment is
 * fetched (the fetching and {@code pg_waldump} run against S3Mock and PostgreSQL in
 * PointInTimeRestoreIT).
 */
class WalStagingTest {
  private static final long BACKUP_END = Instant.parse("2026-11-20T02:00:41Z").toEpochMilli();

  // Starts in segment 3, ends in segment 4 (16 MiB segments).
  private static final SelectedBackup BACKUP =
      new SelectedBackup(
          "appdb-20261120T020000Z",
          "nightly-20261120T020000Z",
          new SourceRef("appdb", "postgres", "database", "main"),
          "bucket",
          "prod/appdb/x/data.vgl",
          "prod/appdb/x/manifest.json",
          "00",
          1,
          1,
          BACKUP_END,
          "k",
          RecoveryTarget.PHYSICAL_FORMAT,
          "0/3000028",
          "0/4000100",
          1);

  @TempDir Path dir;

  @Test
  void anLsnBehindAGapIsRefusedNamingTheFirstMissingSegment() {
    VigilException refused =
        refused(
            List.of(
                "000000010000000000000003", "000000010000000000000004", "000000010000000000000007"),
            RecoveryTarget.lsn("0/7000100"));

    assertThat(refused.getMessage())
        .isEqualTo(
            "source 'appdb': PITR target LSN 0/7000100 is in segment 000000010000000000000007,"
                + " after a gap in the WAL archive: segment 000000010000000000000005, which is"
                + " missing from the archive (it resumes at 000000010000000000000007)");
  }

  @Test
  void anLsnAfterTheEndOfTheArchiveIsRefusedNamingTheLastSegment() {
    VigilException refused =
        refused(
            List.of("000000010000000000000003", "000000010000000000000004"),
            RecoveryTarget.lsn("0/9000000"));

    assertThat(refused.getMessage())
        .isEqualTo(
            "source 'appdb': PITR target LSN 0/9000000 is in segment 000000010000000000000009,"
                + " after the last archived segment 000000010000000000000004; the archive ends"
                + " there");
  }

  @Test
  void aMissingStartSegmentIsRefusedNamingIt() {
    VigilException refused = refused(List.of("000000010000000000000005"), RecoveryTarget.latest());

    assertThat(refused.getMessage())
        .contains("the base backup's start segment 000000010000000000000003 is missing")
        .contains("it resumes at 000000010000000000000005");
  }

  @Test
  void anEmptyArchiveRefusesATimeButRestoresTheLatestToTheBackupsEnd() {
    VigilException refused = refused(List.of(), RecoveryTarget.time(BACKUP_END + 60_000));
    assertThat(refused.getMessage())
        .contains("the WAL archive holds nothing from the base backup's start segment")
        .contains("the last reachable point is the end of base backup 'appdb-20261120T020000Z'");

    WalRange latest = staging(List.of()).stage(BACKUP, RecoveryTarget.latest(), dir, n -> {});

    assertThat(latest.segments()).isZero();
    assertThat(latest.note())
        .isEqualTo(
            "no WAL archived from segment 000000010000000000000003 on; recovered to the base"
                + " backup's own end");
  }

  @Test
  void aBackupEndingAfterTheTargetIsRefusedBeforeTheArchiveIsRead() {
    VigilException refused =
        catchThrowableOfType(
            VigilException.class,
            () ->
                staging(null).stage(BACKUP, RecoveryTarget.time(BACKUP_END - 1_000), dir, n -> {}));

    assertThat(refused.type()).isEqualTo(ErrorType.PITR_TARGET_UNREACHABLE);
    assertThat(refused.getMessage())
        .contains("is before the end of base backup 'appdb-20261120T020000Z'")
        .contains("LSN 0/4000100");
  }

  private VigilException refused(List<String> archived, RecoveryTarget target) {
    VigilException refused =
        catchThrowableOfType(
            VigilException.class, () -> staging(archived).stage(BACKUP, target, dir, n -> {}));
    assertThat(refused.type()).isEqualTo(ErrorType.PITR_TARGET_UNREACHABLE);
    return refused;
  }

  /** An archive that can only be listed (null: not even that); nothing is ever fetched. */
  private static WalStaging staging(List<String> archived) {
    ObjectStore listing = archived == null ? null : WalListing.of(archived);
    ObjectStore store =
        (ObjectStore)
            Proxy.newProxyInstance(
                ObjectStore.class.getClassLoader(),
                new Class<?>[] {ObjectStore.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "bucket" -> "bucket";
                      case "key", "listObjects" -> {
                        if (listing == null && method.getName().equals("listObjects")) {
                          throw new AssertionError("the archive was listed");
                        }
                        yield listing == null ? "prod/" + args[0] : method.invoke(listing, args);
                      }
                      default -> throw new AssertionError("unexpected " + method.getName());
                    });
    Sealer sealer = new Sealer(EncryptionKey.of(new byte[32], "k"));
    return new WalStaging(store, sealer, "appdb", Path.of("/nonexistent"), PgTools.locate());
  }
}
