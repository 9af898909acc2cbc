package dev.vigil.workflows.retention;

import java.util.List;

/**
 * The policy's verdict on one backup, with every rule that decided it and a sentence why.
 *
 * @param consistentAtMillis the point in time the backup holds (its start if unknown)
 * @param storageClass where its data object is now; for ARCHIVE, the cold class it moves to
 * @param rules e.g. {@code keep-last}, {@code daily}, {@code archive-after}, {@code
 *     invariant:newest-verified}; empty for a plain expiry
 */
public record RetentionDecision(
    String backupId,
    String source,
    String status,
    long consistentAtMillis,
    String storageClass,
    long storedBytes,
    RetentionAction action,
    List<String> rules,
    String reason) {}
