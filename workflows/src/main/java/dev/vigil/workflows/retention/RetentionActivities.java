package dev.vigil.workflows.retention;

import io.temporal.activity.ActivityInterface;
import java.util.List;

/**
 * The steps of retention, archival, pruning and row archival. Every step checks before it acts, so
 * a retry after a crash is harmless.
 */
@ActivityInterface(namePrefix = "Retention")
public interface RetentionActivities {

  /** The sources a run covers: {@code requested}, or every source with a policy if empty. */
  List<String> retentionSources(List<String> requested);

  /** Computes one source's plan from the catalog, its policy and its directory. */
  SourcePlan plan(RetentionPlanRequest request);

  /** Copies a backup's data object to the cold class (skipped if the copy is already there). */
  ColdCopy copyToCold(ActionRequest request);

  /**
   * Checks the copy's size, storage class and SHA-256 against the catalog; OBJECT_CORRUPT if not.
   */
  void verifyColdCopy(ColdCopy copy);

  /** Points the catalog at the cold copy. */
  void recordColdCopy(ColdCopy copy);

  /** Deletes the hot copy, only if the catalog already points at the verified cold one. */
  void removeHotCopy(ColdCopy copy);

  /**
   * ARCHIVED → PRUNING, re-checking the invariant against the catalog as it is now: the backup is
   * not the newest verified one and a newer verified one exists. CATALOG_CONFLICT otherwise.
   */
  void beginPrune(ActionRequest request);

  /** Deletes the backup's objects (absent ones are fine). */
  void deletePrunedObjects(ActionRequest request);

  /** PRUNING → PRUNED. */
  void markPruned(ActionRequest request);

  /**
   * Deletes the source's archived WAL that no ARCHIVED physical backup needs, as the catalog stands
   * now (after this run's prunes): segments, labels and partial files before the start segment of
   * the oldest kept base backup. Nothing when no physical backup is kept. A rerun finishes what a
   * crash interrupted.
   */
  WalExpiry deleteExpiredWal(WalExpiryRequest request);

  /** Removes one local artifact after re-confirming that a verified backup holds all of it. */
  void removeLocalArtifact(LocalArtifactDecision decision);

  /** Writes (or finds) one month of rows as a sealed jsonl object. */
  RowArchiveFile writeRowArchive(RowMonth month);

  /** Reads the file back: size and SHA-256 must match. */
  void verifyRowArchive(RowArchiveFile file);

  /** Marks exactly the rows in the verified file archived; returns how many changed. */
  long markRowsArchived(RowArchiveFile file);

  /** Finds the backup to rehydrate. */
  RehydrateTarget locateForRehydrate(RehydrateRequest request);

  /** Asks the store to make a cold object readable; true if it already is. */
  boolean requestColdRestore(RehydrateTarget target, int days);

  /** Whether the object can be read now. */
  boolean objectReadable(RehydrateTarget target);

  /** Downloads, verifies, decrypts and extracts the backup into the target directory. */
  ExtractResult extract(RehydrateTarget target, String targetDir);
}
