package dev.vigil.workflows.backup;

/** The worker host that holds a backup's spool, and the task queue only it polls. */
public record HostQueue(String hostId, String taskQueue) {}
