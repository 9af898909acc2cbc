package dev.vigil.activities.wal;

import java.time.Instant;

/**
 * A physical base backup as WAL retention and {@code vigil check} see it.
 *
 * @param startLsn where its WAL replay starts ({@code 0/3000028}); null if the catalog lacks it
 * @param timeline its timeline; 0 if the catalog lacks it
 * @param at its consistent point, else its start
 */
public record PhysicalBackup(
    String backupId, String status, String startLsn, int timeline, Instant at) {

  /** Whether it is a kept, verified backup. */
  public boolean archived() {
    return "ARCHIVED".equals(status);
  }

  /** Whether the catalog says where its WAL starts. */
  public boolean knowsStart() {
    return startLsn != null && timeline > 0;
  }

  /** The segment its replay starts in; only when {@link #knowsStart()}. */
  public WalSegment startSegment(long segmentSize) {
    return WalSegment.containing(timeline, startLsn, segmentSize);
  }
}
