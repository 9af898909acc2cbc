package dev.vigil.workflows.retention;

/**
 * The verdict on one local artifact of a model directory (a {@code checkpoint-*}, {@code best},
 * {@code production} or {@code rollback} subdirectory).
 *
 * @param path relative to the source directory
 * @param type checkpoint, best, production or rollback
 * @param modifiedAtMillis the newest modification time of a file in it
 * @param remove whether the local copy goes
 * @param backupId the verified backup that holds every file of it (null if none does)
 * @param reason why
 */
public record LocalArtifactDecision(
    String source,
    String path,
    String type,
    long modifiedAtMillis,
    long files,
    long bytes,
    boolean remove,
    String backupId,
    String reason) {}
