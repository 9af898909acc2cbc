package dev.vigil.workflows.common;

import io.temporal.failure.ApplicationFailure;
import java.util.Arrays;

/**
 * Every failure kind Vigil reports. The enum name is the {@link ApplicationFailure} type, so retry
 * policies can name the kinds that no retry can fix, and operators can filter on a stable code.
 */
public enum ErrorType {
  /** vigil.yaml or a request names something that does not exist or is malformed. */
  INVALID_CONFIG(false),
  /** The source (database host, port) cannot be reached; it may come back. */
  SOURCE_UNREACHABLE(true),
  /** The source refused Vigil's credentials. */
  AUTHENTICATION_FAILED(false),
  /**
   * The database refused an operation for lack of a privilege (SQLSTATE 42501: a table, sequence or
   * schema the backup user may not read, a database it may not connect to). No retry grants it.
   */
  DATABASE_PERMISSION_DENIED(false),
  /** The database or directory named by a source does not exist. */
  SOURCE_NOT_FOUND(false),
  /** The dump tool failed for a reason that may pass (lock timeout, connection reset). */
  DUMP_FAILED(true),
  /** The dump was written but is unreadable, empty or does not match what was recorded. */
  DUMP_INVALID(false),
  /** The object store did not answer or answered with a server error; it may come back. */
  REPOSITORY_UNAVAILABLE(true),
  /** The bucket does not exist or Vigil may not write to it. */
  REPOSITORY_NOT_FOUND(false),
  /** An object key that would leave its repository ({@code ..}, absolute) or is reserved. */
  OBJECT_KEY_INVALID(false),
  /** The encryption key is missing, unreadable, of the wrong length, or not the one used. */
  ENCRYPTION_KEY_INVALID(false),
  /** The spool filesystem on the worker host is full. */
  SPOOL_FULL(false),
  /** A spool file a step needs is gone (host replaced, disk wiped). */
  SPOOL_MISSING(false),
  /** The stored object does not match what was uploaded (size or SHA-256). */
  UPLOAD_MISMATCH(false),
  /** The catalog refuses a transition (e.g. archiving a pruned backup). */
  CATALOG_CONFLICT(false),
  /** The catalog database cannot be reached; it may come back. */
  CATALOG_UNAVAILABLE(true),
  /** The same backup (same business id) was already started; it is not run twice. */
  DUPLICATE_RUN(false),
  /** No backup matches the id, source or time asked for. */
  BACKUP_NOT_FOUND(false),
  /** A stored object's bytes do not match the checksum recorded for them (bit rot, tampering). */
  OBJECT_CORRUPT(false),
  /** A manifest's MAC does not verify, or it does not describe the backup it was read for. */
  MANIFEST_INVALID(false),
  /** An archive entry would land outside its target directory ("..", absolute path, link). */
  UNSAFE_ARCHIVE_ENTRY(false),
  /** A restore target holds data and {@code --force} was not given. */
  TARGET_NOT_EMPTY(false),
  /**
   * A restore target lies outside the directories the worker allows ({@code worker.restore-roots}
   * and the spool's scratch areas), on its real path.
   */
  RESTORE_TARGET_FORBIDDEN(false),
  /** pg_restore or extraction failed for a reason that may pass. */
  RESTORE_FAILED(true),
  /** A restored copy does not pass its validation (row counts, queries, file checksums). */
  VALIDATION_FAILED(false),
  /** An object in a cold storage class is not readable until it is restored; retry later. */
  OBJECT_NOT_READABLE_YET(true),
  /**
   * A backup the catalog shows RUNNING whose workflow Temporal no longer runs (lost with a server
   * that keeps no state, terminated, timed out): the orphan sweep records it with this type.
   */
  RUN_LOST(false),
  /**
   * A name given to {@code wal-push}/{@code wal-fetch} is not a WAL segment, timeline history,
   * backup label or partial segment name (it could point anywhere in the repository).
   */
  WAL_NAME_INVALID(false),
  /** A different file is already archived under this WAL name; archiving it again is refused. */
  WAL_CONFLICT(false),
  /**
   * A point-in-time target the archived WAL cannot reach: after the last archived transaction, or
   * behind a missing segment. Nothing was restored; the message names the last reachable point.
   */
  PITR_TARGET_UNREACHABLE(false),
  /**
   * A pack object a chunked directory backup needs is gone from its repository (deleted by hand, a
   * lifecycle rule, a lost bucket): the backup cannot be restored as it is.
   */
  CHUNK_MISSING(false),
  /** A drill missed an objective or a validation (notifications of drills carry this code). */
  DRILL_FAILED(false),
  /** A notification channel did not answer or answered with a server error; it may come back. */
  NOTIFICATION_FAILED(true),
  /** A notification channel refused the message (4xx, bad address): no retry changes that. */
  NOTIFICATION_REJECTED(false);

  private final boolean retryable;

  ErrorType(boolean retryable) {
    this.retryable = retryable;
  }

  /** Whether a later attempt of the same activity can succeed. */
  public boolean retryable() {
    return retryable;
  }

  /** A failure of this type; non-retryable types fail the activity at once. */
  public ApplicationFailure failure(String message) {
    return retryable
        ? ApplicationFailure.newFailure(message, name())
        : ApplicationFailure.newNonRetryableFailure(message, name());
  }

  /** A failure of this type that keeps its cause for the unexpected cases. */
  public ApplicationFailure failure(String message, Throwable cause) {
    return retryable
        ? ApplicationFailure.newFailureWithCause(message, name(), cause)
        : ApplicationFailure.newNonRetryableFailureWithCause(message, name(), cause);
  }

  /** The type names for {@code RetryOptions.setDoNotRetry}. */
  public static String[] nonRetryableTypes() {
    return Arrays.stream(values()).filter(t -> !t.retryable).map(Enum::name).toArray(String[]::new);
  }
}
