package dev.vigil.starter;

import dev.vigil.starter.read.RunNotFoundException;
import dev.vigil.starter.read.RunStatus;
import dev.vigil.starter.read.RunStatusReader;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Cancels any Vigil run (backup plan or source backup, restore, drill, retention, rehydrate) by its
 * workflow id. Cancellation is a request: the workflow stops its current step and still runs its
 * cleanup (spool removed, a drill's environment torn down, the catalog told), then ends CANCELED.
 */
public final class RunCanceller {
  private static final long POLL_MILLIS = 500;

  private final WorkflowClient client;
  private final RunStatusReader reader;

  public RunCanceller(WorkflowClient client) {
    this.client = client;
    this.reader = new RunStatusReader(client);
  }

  /**
   * Requests cancellation of the latest run of {@code workflowId}.
   *
   * @param reason why, recorded in the run's history (null: none)
   * @throws RunNotFoundException when Temporal knows no such run
   * @throws RunClosedException when the run has already ended
   */
  public void cancel(String workflowId, String reason) {
    String state = reader.state(workflowId);
    if (!"RUNNING".equals(state)) {
      throw new RunClosedException(workflowId, state);
    }
    try {
      client.newUntypedWorkflowStub(workflowId).cancel(reason);
    } catch (WorkflowNotFoundException e) {
      // It ended between the look and the request.
      throw new RunClosedException(workflowId, reader.state(workflowId));
    }
  }

  /**
   * Waits up to {@code timeout} for the run to end and returns its state; RUNNING if it has not
   * (its cleanup may take longer, e.g. a step that reports cancellation only at its next
   * heartbeat).
   */
  public String awaitClosed(String workflowId, Duration timeout) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    String state = reader.state(workflowId);
    while ("RUNNING".equals(state) && Instant.now().isBefore(deadline)) {
      Thread.sleep(POLL_MILLIS);
      state = reader.state(workflowId);
    }
    return state;
  }

  /**
   * Terminates the latest run of {@code workflowId} and every child run of it still open (a plan's
   * source backups, a drill's restores): they end at once, without running their cleanup.
   *
   * @return the workflow ids of the run and of the children it had open, the run's first
   * @throws RunNotFoundException when Temporal knows no such run
   * @throws RunClosedException when the run has already ended
   */
  public Set<String> terminate(String workflowId, String reason) {
    RunStatus root = reader.status(workflowId);
    if (root.closed()) {
      throw new RunClosedException(workflowId, root.state());
    }
    Set<String> tree = new LinkedHashSet<>();
    collect(root, tree);
    for (String id : tree) {
      // The server may already have ended a child with its parent (parent close policy).
      if ("RUNNING".equals(reader.state(id))) {
        try {
          client.newUntypedWorkflowStub(id).terminate(reason);
        } catch (WorkflowNotFoundException endedMeanwhile) {
          // It ended between the look and the request: nothing left to stop.
        }
      }
    }
    return tree;
  }

  private void collect(RunStatus run, Set<String> tree) {
    tree.add(run.workflowId());
    List<RunStatus> children = new ArrayList<>(run.children());
    for (RunStatus child : children) {
      if (!child.closed() && !tree.contains(child.workflowId())) {
        collect(reader.status(child.workflowId()), tree);
      }
    }
  }
}
