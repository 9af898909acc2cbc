package dev.vigil.workflows.backup;

/** Check the stored object against the sealed file's size and SHA-256. */
public record VerifyUploadRequest(String repository, UploadResult upload, SealResult sealed) {}
