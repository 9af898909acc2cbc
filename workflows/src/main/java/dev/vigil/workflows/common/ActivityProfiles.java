package dev.vigil.workflows.common;

import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/** The activity options every Vigil workflow shares, so timeouts and retries read the same way. */
public final class ActivityProfiles {
  /**
   * How long a step on a host may go without a heartbeat: a step still running after its run is
   * gone learns it at its next heartbeat, so within this time.
   */
  public static final Duration STEP_HEARTBEAT_TIMEOUT = Duration.ofSeconds(30);

  /** Catalog, config and store calls: two minutes each, retried until the backend answers. */
  public static final ActivityOptions SHARED =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(2))
          .setRetryOptions(retryUntilAnswered(Duration.ofMinutes(1)))
          .build();

  /**
   * Three attempts from two seconds apart, then the failure is reported as it is: for steps whose
   * failure says something about a source or target (unreachable, refusing), not about Vigil.
   */
  public static final RetryOptions FEW_ATTEMPTS =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofSeconds(2))
          .setBackoffCoefficient(2)
          .setMaximumInterval(Duration.ofMinutes(1))
          .setMaximumAttempts(3)
          .setDoNotRetry(ErrorType.nonRetryableTypes())
          .build();

  private ActivityProfiles() {}

  /**
   * Retries from one second, doubling up to {@code maximumInterval}, for as long as the options'
   * timeouts allow; the non-retryable {@link ErrorType}s fail at once.
   */
  public static RetryOptions retryUntilAnswered(Duration maximumInterval) {
    return RetryOptions.newBuilder()
        .setInitialInterval(Duration.ofSeconds(1))
        .setBackoffCoefficient(2)
        .setMaximumInterval(maximumInterval)
        .setDoNotRetry(ErrorType.nonRetryableTypes())
        .build();
  }

  /**
   * Cleaning up on one host's queue: the shared profile, bounded to ten minutes so a run does not
   * wait a day for a host that is gone.
   */
  public static ActivityOptions cleanupOnHost(String taskQueue) {
    return ActivityOptions.newBuilder(SHARED)
        .setTaskQueue(taskQueue)
        .setScheduleToCloseTimeout(Duration.ofMinutes(10))
        .build();
  }

  /**
   * A step on one host's own queue that reads or writes its spool: it heartbeats, has a day to get
   * through outages, and a cancel waits for it to stop before anything cleans the spool under it.
   */
  public static ActivityOptions onHost(
      String taskQueue, Duration startToClose, RetryOptions retry) {
    return ActivityOptions.newBuilder()
        .setTaskQueue(taskQueue)
        .setStartToCloseTimeout(startToClose)
        .setScheduleToCloseTimeout(Duration.ofHours(24))
        .setHeartbeatTimeout(STEP_HEARTBEAT_TIMEOUT)
        .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
        .setRetryOptions(retry)
        .build();
  }

  /**
   * Workflow code: a stub whose calls carry {@code summary}, the line the Temporal UI shows for the
   * step (such as {@code dump appdb (postgres)}). Summaries are user metadata, not commands, so a
   * shipped workflow replays with or without them.
   */
  public static <T> T summarized(Class<T> activities, ActivityOptions options, String summary) {
    return Workflow.newActivityStub(
        activities, ActivityOptions.newBuilder(options).setSummary(summary).build());
  }
}
