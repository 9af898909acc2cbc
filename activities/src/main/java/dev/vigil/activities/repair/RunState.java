package dev.vigil.activities.repair;

/** What Temporal says of the newest run with a workflow id. */
public enum RunState {
  /** Running (or waiting for a worker): it will go on, so nothing of it may be touched. */
  OPEN,
  /** Completed, failed, cancelled, terminated or timed out. */
  CLOSED,
  /** Not known to Temporal: lost with a server that keeps no state, or past its retention. */
  UNKNOWN
}
