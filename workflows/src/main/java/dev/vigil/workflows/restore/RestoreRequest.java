package dev.vigil.workflows.restore;

/**
 * Restore one backup into a target and validate it.
 *
 * @param force restore into a target that is not empty
 * @param parallelJobs pg_restore {@code -j}; 0 for the default
 * @param requestedBy who or what asked (a user, a drill), recorded
 */
public record RestoreRequest(
    RestoreSelector selector,
    RestoreTarget target,
    boolean force,
    int parallelJobs,
    String requestedBy) {}
