package dev.vigil.starter.read;

import java.time.Instant;
import java.util.List;

/**
 * The live status of one Vigil run, from Temporal.
 *
 * @param state RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT or CONTINUED_AS_NEW
 * @param step what the workflow says it is doing (its query), null when it cannot say
 * @param activities the activities running or waiting to retry now
 * @param children the child runs still open (a plan's source backups, a drill's restores)
 * @param failure why the run failed, null unless it did
 */
public record RunStatus(
    String workflowId,
    String runId,
    String workflowType,
    String state,
    Instant startedAt,
    Instant closedAt,
    String step,
    List<ActivityProgress> activities,
    List<RunStatus> children,
    String failure) {

  /** Whether the run has ended (any state but RUNNING). */
  public boolean closed() {
    return !"RUNNING".equals(state);
  }
}
