package dev.vigil.workflows.copy;

import io.temporal.activity.ActivityInterface;
import java.util.List;

/**
 * Copies of archived backups (and of their set manifests) to a source's second repositories ({@code
 * copies:} in vigil.yaml), and retention of those copies. Every step checks the catalog before it
 * acts, so a retry, or a later run, finishes what an earlier one left.
 */
@ActivityInterface(namePrefix = "Copy")
public interface CopyActivities {

  /**
   * What {@code sources} still owe their copy repositories: every ARCHIVED backup (not in a cold
   * class) without a VERIFIED copy there, and the manifests of the sets those backups belong to.
   * Copies a retention run pruned are not owed again.
   */
  List<CopyTask> pendingCopies(List<String> sources);

  /**
   * Streams the task's objects from the primary repository to the copy repository (GET → PUT with
   * the primary's tags and metadata), checking the bytes read against the catalog's size and
   * SHA-256 on the way; records the copy COPIED with what was written. OBJECT_CORRUPT (nothing is
   * recorded as copied) when the primary's bytes are not what the catalog recorded.
   */
  CopiedItem copy(CopyTask task);

  /**
   * Reads the copy back from its repository: VERIFIED only if every object has the size and SHA-256
   * recorded; otherwise the copy is recorded FAILED and OBJECT_CORRUPT names the object.
   */
  void verifyCopy(CopiedItem copied);

  /**
   * Applies the source's keep rules to its VERIFIED copies in one repository, on their own: prunes
   * (deletes the copy's objects there, nothing elsewhere) what no rule keeps, never the newest
   * verified copy, nor any without a newer verified copy in that repository. Returns one line per
   * pruned copy.
   */
  List<String> pruneCopies(CopyRetentionRequest request);
}
