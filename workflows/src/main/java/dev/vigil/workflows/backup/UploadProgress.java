package dev.vigil.workflows.backup;

/**
 * Heartbeat details of an upload: what a retried attempt resumes from.
 *
 * @param uploadId the multipart upload id, or null before it was created
 * @param partSize bytes per part (the last may be shorter)
 * @param partsDone parts 1..partsDone are uploaded
 * @param bytesTotal the file's size, for progress displays; 0 in heartbeats recorded before it
 *     existed (Jackson fills the missing component with 0)
 */
public record UploadProgress(
    String objectKey,
    String uploadId,
    long partSize,
    int partsDone,
    long bytesDone,
    long bytesTotal) {}
