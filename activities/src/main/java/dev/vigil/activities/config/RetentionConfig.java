package dev.vigil.activities.config;

import java.time.Duration;
import java.util.Map;

/**
 * The retention and archival policy of one source ({@code sources.<name>.retention}).
 *
 * <p>Keep rules follow restic's {@code forget}: a backup is kept if any rule keeps it. Counts are
 * {@code 0} (rule off), a positive number, or {@link #UNLIMITED}. Durations are null when unset.
 *
 * @param keepLast the newest N verified backups
 * @param keepDaily the newest backup of each of the last N days that have backups (UTC)
 * @param keepWeekly the same per ISO week (Monday to Sunday, UTC)
 * @param keepMonthly the same per calendar month
 * @param keepYearly the same per calendar year
 * @param keepWithin every backup within this duration of the newest backup
 * @param archiveAfter backups older than this move to {@code archiveStorageClass} instead of being
 *     deleted
 * @param archiveUnusedAfter when the newest backup of the source is older than this (nothing new
 *     was backed up: the data is unused), every backup of the source moves to cold storage
 * @param archiveStorageClass the cold S3 storage class archived copies get
 * @param deleteArchivedAfter cold copies that no keep rule keeps are deleted after this age (null:
 *     cold copies stay)
 * @param checkpointMaxAge model directories only: per artifact type ({@code checkpoint}, {@code
 *     best}, {@code production}, {@code rollback}) how long a local copy stays; a null value means
 *     forever. Empty for other sources.
 */
public record RetentionConfig(
    int keepLast,
    int keepDaily,
    int keepWeekly,
    int keepMonthly,
    int keepYearly,
    Duration keepWithin,
    Duration archiveAfter,
    Duration archiveUnusedAfter,
    String archiveStorageClass,
    Duration deleteArchivedAfter,
    Map<String, Duration> checkpointMaxAge) {

  /** A count meaning "every bucket" (restic's {@code unlimited}). */
  public static final int UNLIMITED = -1;

  /** The storage class archived copies get when none is configured. */
  public static final String DEFAULT_COLD_CLASS = "GLACIER";

  /** Whether any keep rule is set; without one, nothing expires. */
  public boolean hasKeepRule() {
    return keepLast != 0
        || keepDaily != 0
        || keepWeekly != 0
        || keepMonthly != 0
        || keepYearly != 0
        || keepWithin != null;
  }

  /** A policy with only keep rules (tests, examples). */
  public static RetentionConfig keep(
      int last, int daily, int weekly, int monthly, int yearly, Duration within) {
    return new RetentionConfig(
        last,
        daily,
        weekly,
        monthly,
        yearly,
        within,
        null,
        null,
        DEFAULT_COLD_CLASS,
        null,
        Map.of());
  }
}
