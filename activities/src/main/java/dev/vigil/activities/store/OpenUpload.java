package dev.vigil.activities.store;

/** A multipart upload that was started and neither completed nor aborted: its parts are billed. */
public record OpenUpload(String key, String uploadId) {}
