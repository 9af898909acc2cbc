package dev.vigil.activities.store;

import java.util.Map;

/**
 * What is set on an object when it is written.
 *
 * @param storageClass S3 storage class name, e.g. {@code STANDARD}, {@code STANDARD_IA}
 * @param tags object tags (source, kind, backup id)
 * @param metadata user metadata (stored as {@code x-amz-meta-*}), e.g. {@code vigil-sha256}
 */
public record ObjectAttributes(
    String storageClass, Map<String, String> tags, Map<String, String> metadata) {}
