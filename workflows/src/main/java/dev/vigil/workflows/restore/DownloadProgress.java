package dev.vigil.workflows.restore;

/** Heartbeat details of a download: the next attempt resumes at {@code bytesDone}. */
public record DownloadProgress(String objectKey, long bytesDone) {}
