package dev.vigil.activities.store;

/** What an upload did: parts in all, and how many a resumed attempt found already uploaded. */
public record UploadOutcome(int parts, int resumedParts, long bytes) {}
