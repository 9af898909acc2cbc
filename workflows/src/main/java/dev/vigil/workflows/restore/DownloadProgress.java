package dev.vigil.workflows.restore;

/**
 * Heartbeat details of a download: the next attempt resumes at {@code bytesDone}.
 *
 * @param bytesTotal the object's size, for progress displays; 0 when unknown (and in heartbeats
 *     recorded before it existed)
 */
public record DownloadProgress(String objectKey, long bytesDone, long bytesTotal) {}
