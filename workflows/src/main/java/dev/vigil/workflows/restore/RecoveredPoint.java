package dev.vigil.workflows.restore;

/**
 * Where a point-in-time restore's recovery ended.
 *
 * @param target the promoted cluster, as restored
 * @param lsn the last WAL record replayed ({@code pg_last_wal_replay_lsn()}), null if unknown
 * @param lastCommitMillis the last replayed commit ({@code pg_last_xact_replay_timestamp()}), 0
 *     when recovery replayed no transaction
 * @param consistentAtMillis the point the data is consistent as of: the last replayed commit, or
 *     the base backup's end if later
 * @param check one line saying where recovery ended and that the target was reached
 */
public record RecoveredPoint(
    RestoreTarget target,
    String lsn,
    long lastCommitMillis,
    long consistentAtMillis,
    String check) {

  /** How {@link #check} begins, so a report can pick the recovery's line among the checks. */
  public static final String CHECK_PREFIX = "recovered ";

  /** Whether a validation check line is a point-in-time recovery's own. */
  public static boolean isRecoveryCheck(String check) {
    return check != null && check.startsWith(CHECK_PREFIX);
  }
}
