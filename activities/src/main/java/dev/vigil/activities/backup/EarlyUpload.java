package dev.vigil.activities.backup;

import dev.vigil.workflows.backup.UploadProgress;

/**
 * The multipart upload a dump fed while it ran ({@link Spool#EARLY_UPLOAD}), written as soon as the
 * store made it: the upload step resumes it, and a retried dump or the spool's cleanup aborts it
 * when it was never completed.
 *
 * @param repository the repository's name in vigil.yaml
 * @param partsDone 0 while the dump runs; every part once the dump completed
 * @param bytesTotal the sealed file's size once the dump completed, else 0
 */
public record EarlyUpload(
    String repository,
    String objectKey,
    String uploadId,
    long partSize,
    int partsDone,
    long bytesTotal) {

  /** What the upload step resumes from. */
  UploadProgress progress() {
    return new UploadProgress(objectKey, uploadId, partSize, partsDone, bytesTotal, bytesTotal);
  }

  static EarlyUpload of(String repository, UploadProgress progress) {
    return new EarlyUpload(
        repository,
        progress.objectKey(),
        progress.uploadId(),
        progress.partSize(),
        progress.partsDone(),
        progress.bytesTotal());
  }
}
