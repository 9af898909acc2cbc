package dev.vigil.activities.repair;

/** Asks Temporal whether a run is still open. */
@FunctionalInterface
public interface RunStates {
  /**
   * The state of the newest run with {@code workflowId}. Throws when Temporal cannot be asked: the
   * sweep then stops, since an unanswered question must never look like a lost run.
   */
  RunState of(String workflowId);
}
