package dev.vigil.workflows.restore;

/**
 * How far a physical (base backup) restore replays the archived WAL. Logical dumps ignore it except
 * {@link #LSN}, which they refuse.
 *
 * @param kind {@link #TIME}, {@link #LSN}, {@link #LATEST} or {@link #BACKUP}
 * @param atMillis the target time for {@link #TIME} (epoch millis), else 0
 * @param lsn the target LSN for {@link #LSN} ({@code 0/5000028}), else null
 */
public record RecoveryTarget(String kind, long atMillis, String lsn) {
  /** Replay to the last transaction committed at or before {@code atMillis}. */
  public static final String TIME = "time";

  /** Replay through the WAL record at {@code lsn}. */
  public static final String LSN = "lsn";

  /** Replay every archived segment that follows the base backup without a gap (the default). */
  public static final String LATEST = "latest";

  /** No archived WAL: the base backup's own end point. */
  public static final String BACKUP = "backup";

  /** The catalog format of a physical base backup, the only kind that replays WAL. */
  public static final String PHYSICAL_FORMAT = "pg_basebackup-tar";

  public static RecoveryTarget time(long atMillis) {
    return new RecoveryTarget(TIME, atMillis, null);
  }

  public static RecoveryTarget lsn(String lsn) {
    return new RecoveryTarget(LSN, 0, lsn);
  }

  public static RecoveryTarget latest() {
    return new RecoveryTarget(LATEST, 0, null);
  }

  public static RecoveryTarget backupOnly() {
    return new RecoveryTarget(BACKUP, 0, null);
  }

  /**
   * What a request without an explicit target means for a physical backup: its {@code --at} as a
   * time target, else the end of the archive.
   */
  public static RecoveryTarget of(RestoreSelector selector) {
    if (selector.recovery() != null) {
      return selector.recovery();
    }
    return selector.atMillis() > 0 ? time(selector.atMillis()) : latest();
  }

  /** Whether archived WAL is replayed at all. */
  public boolean replaysWal() {
    return !BACKUP.equals(kind);
  }
}
