package dev.vigil.workflows.retention;

import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.SearchAttributes;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/**
 * See {@link RehydrateWorkflow}. Waiting for a cold restore is a loop of durable timers, so a
 * worker restart during the hours S3 needs loses nothing.
 */
public final class RehydrateWorkflowImpl implements RehydrateWorkflow {

  /** First wait before checking a requested restore again. */
  static final Duration FIRST_POLL = Duration.ofMinutes(1);

  /** Longest wait between checks. */
  static final Duration MAX_POLL = Duration.ofMinutes(30);

  /** DEEP_ARCHIVE bulk restores take up to 48 hours; past this something is wrong. */
  static final Duration GIVE_UP_AFTER = Duration.ofHours(72);

  private final RetentionActivities shortSteps =
      Workflow.newActivityStub(RetentionActivities.class, RetentionWorkflowImpl.SHORT);
  private final RetentionActivities longSteps =
      Workflow.newActivityStub(
          RetentionActivities.class,
          ActivityOptions.newBuilder(RetentionWorkflowImpl.LONG)
              .setStartToCloseTimeout(Duration.ofHours(12))
              .build());

  @Override
  public RehydrateResult rehydrate(RehydrateRequest request) {
    return SearchAttributes.recordingOutcome(() -> runRehydrate(request), result -> true);
  }

  private RehydrateResult runRehydrate(RehydrateRequest request) {
    RehydrateTarget target = shortSteps.locateForRehydrate(request);
    boolean requested = false;
    int polls = 0;
    long waitStarted = Workflow.currentTimeMillis();
    if (target.cold()) {
      boolean readable = shortSteps.requestColdRestore(target, Math.max(1, request.restoreDays()));
      requested = !readable;
      Duration wait = FIRST_POLL;
      while (!readable) {
        if (Workflow.currentTimeMillis() - waitStarted > GIVE_UP_AFTER.toMillis()) {
          throw ApplicationFailure.newNonRetryableFailure(
              "object "
                  + target.objectKey()
                  + " of backup "
                  + target.backupId()
                  + " is still not readable after "
                  + GIVE_UP_AFTER.toHours()
                  + "h; check the restore request in the store and run rehydrate again",
              ErrorType.OBJECT_NOT_READABLE_YET.name());
        }
        Workflow.sleep(wait);
        polls++;
        readable = shortSteps.objectReadable(target);
        wait = wait.multipliedBy(2).compareTo(MAX_POLL) > 0 ? MAX_POLL : wait.multipliedBy(2);
      }
    }
    long waited = Workflow.currentTimeMillis() - waitStarted;
    ExtractResult extracted = longSteps.extract(target, request.targetDir());
    return new RehydrateResult(
        target.backupId(),
        target.source(),
        request.targetDir(),
        extracted.files(),
        extracted.bytes(),
        requested,
        polls,
        waited);
  }
}
