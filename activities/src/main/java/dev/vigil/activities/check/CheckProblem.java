package dev.vigil.activities.check;

/**
 * One thing {@code vigil check} found wrong.
 *
 * @param kind what is wrong: one of the {@code KIND_*} names, the {@code kind} label of {@code
 *     vigil_check_problems}
 * @param source the source it belongs to ({@code -} for an object outside every source's folder)
 * @param backupId the backup or set it concerns, or null
 * @param key the object's full key, or null
 * @param message one line a person can act on
 */
public record CheckProblem(
    String kind, String source, String backupId, String key, String message) {
  /** A catalog row's object is not in the repository. */
  public static final String MISSING = "missing";

  /** A stored object's size differs from the catalog's. */
  public static final String SIZE_MISMATCH = "size_mismatch";

  /** A stored object no catalog row claims. */
  public static final String ORPHAN = "orphan";

  /** A multipart upload no running backup will finish: its parts are billed. */
  public static final String INCOMPLETE_UPLOAD = "incomplete_upload";

  /** Read back, the object's SHA-256, authentication or manifest HMAC fails. */
  public static final String DAMAGED = "damaged";

  /** The object could not be read (network, permissions) while reading data. */
  public static final String UNREADABLE = "unreadable";

  /** Segments missing from a physical source's WAL chain. */
  public static final String WAL_GAP = "wal_gap";

  /** The kinds the repository-against-catalog check can find, in report order. */
  public static final java.util.List<String> OBJECT_KINDS =
      java.util.List.of(MISSING, SIZE_MISMATCH, ORPHAN, INCOMPLETE_UPLOAD, DAMAGED, UNREADABLE);
}
