package dev.vigil.starter.read;

/**
 * Bytes stored in one repository under one storage class, by backups the catalog still offers
 * (ARCHIVED, including those whose data moved to a cold class; PRUNING and PRUNED excluded).
 *
 * @param objects data and manifest objects counted
 */
public record StorageUsage(
    String repository, String storageClass, int backups, int objects, long storedBytes) {}
