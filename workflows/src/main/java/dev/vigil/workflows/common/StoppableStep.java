package dev.vigil.workflows.common;

import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.CompletablePromise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Workflow code: runs one step so that a cancel of the run always ends it, also on Temporal's Java
 * test server.
 *
 * <p>The step runs in a scope of its own that the run's cancellation does not reach by itself. When
 * the run is cancelled, the step is asked to stop only if it has not completed within {@link
 * #SETTLE}: the test server refuses a request to cancel a step whose completion landed with the
 * cancel (ACTIVITY_UNKNOWN), and the workflow task would then fail over and over; that completion
 * reaches the workflow in a later task, which the short wait gives it. The run then waits for the
 * step to stop for at most {@link #STOP_WAIT}: the test server loses the cancellation of an attempt
 * that fails retryably without a heartbeat, and the step would never resolve. A step that still
 * runs stops at its next heartbeat or times out within {@link
 * ActivityProfiles#STEP_HEARTBEAT_TIMEOUT}, so after that wait nothing of it writes any more.
 */
public final class StoppableStep {
  /**
   * The Workflow.getVersion change id of the workflows whose steps run through this (version 1).
   */
  public static final String CHANGE_ID = "stoppable-steps";

  /** How long a cancelled run waits for its step to stop before it goes on to its cleanup. */
  public static final Duration STOP_WAIT = ActivityProfiles.STEP_HEARTBEAT_TIMEOUT.multipliedBy(2);

  /**
   * How long a cancelled run waits for a completion already on its way before it stops the step.
   */
  public static final Duration SETTLE = Duration.ofSeconds(2);

  private StoppableStep() {}

  /**
   * Runs {@code step} (one activity call) and returns its result; throws its failure as the call
   * would, or {@link CanceledFailure} when the run is cancelled, once the step has stopped or
   * {@link #STOP_WAIT} has passed.
   */
  public static <T> T call(Supplier<T> step) {
    CompletablePromise<T> result = Workflow.newPromise();
    CancellationScope scope =
        Workflow.newDetachedCancellationScope(() -> result.completeFrom(Async.function(step::get)));
    scope.run();
    try {
      Workflow.await(result::isCompleted);
    } catch (CanceledFailure cancelled) {
      Workflow.newDetachedCancellationScope(
              () -> {
                // On the test server a completion that came with the cancel may only be seen by a
                // later workflow task: give it that chance before asking the step to stop.
                if (!Workflow.await(SETTLE, result::isCompleted)) {
                  scope.cancel();
                  Workflow.await(STOP_WAIT, result::isCompleted);
                }
              })
          .run();
      throw cancelled;
    }
    return result.get();
  }
}
