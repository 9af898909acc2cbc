package dev.vigil.workflows.backup;

/**
 * The stored object as verified: it matched, or the activity failed with UPLOAD_MISMATCH.
 *
 * @param method how: {@code read-back} (downloaded and hashed with SHA-256) or {@code checksum}
 *     (the store's own CRC64NVME full-object checksum equals the one Vigil computed over the sealed
 *     bytes, whose SHA-256 the upload checked)
 */
public record UploadVerification(long size, String sha256, String storageClass, String method) {}
