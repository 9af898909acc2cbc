package dev.vigil.workflows.common;

/** Task queue names shared by the worker and the starter. */
public final class TaskQueues {
  /** The queue every Vigil worker polls for workflows and host-independent activities. */
  public static final String DEFAULT = "vigil";

  private TaskQueues() {}

  /** The queue only the worker on {@code hostId} polls: steps that touch its spool run there. */
  public static String host(String sharedQueue, String hostId) {
    return sharedQueue + "@" + hostId;
  }
}
