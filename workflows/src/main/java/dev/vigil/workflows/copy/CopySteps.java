package dev.vigil.workflows.copy;

import dev.vigil.workflows.common.ActivityProfiles;
import dev.vigil.workflows.common.Failures;
import io.temporal.activity.ActivityOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * The copy step a workflow runs after its backups are ARCHIVED: each owed copy is written, then
 * read back, and reported. A copy that fails is reported and left for the next run; it never
 * changes the primary's state. Call from workflow code only.
 */
public final class CopySteps {
  private static final Logger log = Workflow.getLogger(CopySteps.class);

  /** Listing what is owed: a catalog query. */
  static final ActivityOptions LIST_OPTIONS = ActivityProfiles.SHARED;

  /**
   * Moving and reading back whole objects: long, heartbeating; a few attempts, then the failure is
   * reported and the next run retries (a second repository that is down must not hold a backup run
   * for a day).
   */
  static final ActivityOptions TRANSFER_OPTIONS =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofHours(6))
          .setHeartbeatTimeout(Duration.ofMinutes(1))
          .setRetryOptions(ActivityProfiles.FEW_ATTEMPTS)
          .build();

  private CopySteps() {}

  /** Copies and verifies what {@code sources} owe their copy repositories; one report per copy. */
  public static List<CopyReport> run(List<String> sources) {
    CopyActivities list = Workflow.newActivityStub(CopyActivities.class, LIST_OPTIONS);
    List<CopyReport> reports = new ArrayList<>();
    List<CopyTask> tasks;
    try {
      tasks = list.pendingCopies(sources);
    } catch (ActivityFailure failure) {
      String reason = "listing copies owed: " + Failures.reason(failure);
      log.warn("copies of {} not run: {}", sources, reason);
      reports.add(new CopyReport("run", String.join(",", sources), null, "FAILED", reason));
      return reports;
    }
    for (CopyTask task : tasks) {
      CopyActivities transfer =
          ActivityProfiles.summarized(CopyActivities.class, TRANSFER_OPTIONS, task.describe());
      try {
        CopiedItem copied = transfer.copy(task);
        transfer.verifyCopy(copied);
        reports.add(
            new CopyReport(task.itemKind(), task.itemId(), task.toRepository(), "VERIFIED", null));
      } catch (ActivityFailure failure) {
        String reason = Failures.reason(failure);
        log.warn("copy of {} failed: {}", task.describe(), reason);
        reports.add(
            new CopyReport(task.itemKind(), task.itemId(), task.toRepository(), "FAILED", reason));
      }
    }
    return reports;
  }
}
