package dev.vigil.activities.config;

/**
 * How many tasks one worker runs at once on each of its task queues ({@code worker.slots}).
 *
 * @param sharedActivities activities at once from the shared queue: catalog and store calls, and
 *     the copies to a second repository and to cold storage, which stream through this host
 * @param sharedWorkflowTasks workflow tasks at once from the shared queue (CPU only, milliseconds)
 * @param hostActivities spool steps at once from this host's own queue: dumps, seals, uploads,
 *     downloads, restores and drill clusters, each of which keeps the spool disk or the network
 *     busy
 */
public record WorkerSlots(int sharedActivities, int sharedWorkflowTasks, int hostActivities) {
  /**
   * Two spool steps: one dump can fill the spool while the previous source is sealed and uploaded,
   * so disk and network are both busy; a third would only split the same disk and link, and needs
   * spool room for one more dump.
   */
  public static final int DEFAULT_HOST_ACTIVITIES = 2;

  /** Enough for short catalog and store calls to pass a few long copies. */
  public static final int DEFAULT_SHARED_ACTIVITIES = 8;

  /** Workflow tasks take milliseconds of CPU; more only matters for hundreds of runs at once. */
  public static final int DEFAULT_SHARED_WORKFLOW_TASKS = 8;

  public static final WorkerSlots DEFAULT =
      new WorkerSlots(
          DEFAULT_SHARED_ACTIVITIES, DEFAULT_SHARED_WORKFLOW_TASKS, DEFAULT_HOST_ACTIVITIES);
}
