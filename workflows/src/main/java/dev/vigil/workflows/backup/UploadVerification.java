package dev.vigil.workflows.backup;

/** The stored object as read back: it matched, or the activity failed with UPLOAD_MISMATCH. */
public record UploadVerification(long size, String sha256, String storageClass, String method) {}
