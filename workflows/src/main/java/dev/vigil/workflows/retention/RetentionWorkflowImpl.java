package dev.vigil.workflows.retention;

import dev.vigil.workflows.backup.BackupIds;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.copy.CopyActivities;
import dev.vigil.workflows.copy.CopyRetentionRequest;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/** See {@link RetentionWorkflow}. Deterministic: no I/O, no wall clock. */
public final class RetentionWorkflowImpl implements RetentionWorkflow {
  private static final Logger log = Workflow.getLogger(RetentionWorkflowImpl.class);

  /** Retried through store and catalog outages for up to a day; fatal types fail at once. */
  static final RetryOptions RETRY =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofSeconds(1))
          .setBackoffCoefficient(2)
          .setMaximumInterval(Duration.ofMinutes(1))
          .setDoNotRetry(ErrorType.nonRetryableTypes())
          .build();

  /** Catalog updates, HEADs, deletes: short. */
  static final ActivityOptions SHORT =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(2))
          .setScheduleToCloseTimeout(Duration.ofHours(24))
          .setRetryOptions(RETRY)
          .build();

  /** Copies, read-backs and row files move whole objects: long, with heartbeats. */
  static final ActivityOptions LONG =
      ActivityOptions.newBuilder(SHORT)
          .setStartToCloseTimeout(Duration.ofHours(6))
          .setHeartbeatTimeout(Duration.ofMinutes(1))
          .build();

  /** Version 1: a source with physical backups also loses the WAL no kept backup needs. */
  static final String WAL_RETENTION = "wal-retention";

  /**
   * Version 1: each copy repository of a source has its copies pruned by the source's keep rules.
   */
  static final String COPY_RETENTION = "copy-retention";

  private final RetentionActivities shortSteps =
      Workflow.newActivityStub(RetentionActivities.class, SHORT);
  private final RetentionActivities longSteps =
      Workflow.newActivityStub(RetentionActivities.class, LONG);

  @Override
  public RetentionResult run(RetentionRequest request) {
    return SearchAttributes.recordingOutcome(
        () -> runRetention(request), RetentionResult::succeeded);
  }

  private RetentionResult runRetention(RetentionRequest request) {
    long now = Workflow.currentTimeMillis();
    // Scheduled runs pass 0: their ids come from their own start, as for backups and drills.
    long requestedAt = request.requestedAtMillis() > 0 ? request.requestedAtMillis() : now;
    String runId = RetentionWorkflow.workflowId(request.dryRun(), BackupIds.timestamp(requestedAt));
    List<SourceRetentionResult> results = new ArrayList<>();
    for (String source : shortSteps.retentionSources(request.sources())) {
      SourcePlan plan;
      try {
        plan = longSteps.plan(new RetentionPlanRequest(runId, source, now, !request.dryRun()));
      } catch (ActivityFailure failure) {
        String reason = "plan: " + Failures.reason(failure);
        log.warn("retention of {} not planned: {}", source, reason);
        results.add(new SourceRetentionResult(source, null, List.of(), List.of(reason), 0));
        continue;
      }
      if (request.dryRun()) {
        results.add(new SourceRetentionResult(source, plan, List.of(), List.of(), 0));
      } else {
        results.add(apply(runId, plan));
      }
    }
    return new RetentionResult(runId, request.dryRun(), results);
  }

  private SourceRetentionResult apply(String runId, SourcePlan plan) {
    List<String> applied = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    // Archives first: a backup that goes cold stays a verified copy, so prunes of older ones and
    // removals of local checkpoints it holds remain safe.
    for (RetentionDecision decision : plan.decisions()) {
      if (decision.action() == RetentionAction.ARCHIVE) {
        attempt(
            "archive " + decision.backupId() + " to " + decision.storageClass(),
            applied,
            failures,
            () -> archive(runId, decision));
      }
    }
    for (RetentionDecision decision : plan.decisions()) {
      if (decision.action() == RetentionAction.PRUNE) {
        attempt("prune " + decision.backupId(), applied, failures, () -> prune(runId, decision));
      }
    }
    // After the prunes: the WAL step reads the catalog as they left it, so a backup whose prune
    // failed keeps its WAL.
    if (plan.wal() != null
        && Workflow.getVersion(WAL_RETENTION, Workflow.DEFAULT_VERSION, 1) >= 1) {
      try {
        // A retry after a crash finds less (or nothing) left: the plan says what this run removed.
        WalExpiry deleted = longSteps.deleteExpiredWal(new WalExpiryRequest(runId, plan.source()));
        WalExpiry reported =
            plan.wal().segments() + plan.wal().otherFiles() > 0 ? plan.wal() : deleted;
        if (reported.segments() + reported.otherFiles() > 0) {
          applied.add("delete " + reported.summary());
        }
      } catch (ActivityFailure failure) {
        String line = "delete WAL: " + Failures.reason(failure);
        log.warn("retention step failed: {}", line);
        failures.add(line);
      }
    }
    for (LocalArtifactDecision artifact : plan.localArtifacts()) {
      if (artifact.remove()) {
        attempt(
            "remove local " + artifact.type() + " " + artifact.path(),
            applied,
            failures,
            () -> shortSteps.removeLocalArtifact(artifact));
      }
    }
    long rows = 0;
    for (RowMonth month : plan.rowMonths()) {
      long[] marked = new long[1];
      attempt(
          "archive rows of " + month.table() + " " + month.month(),
          applied,
          failures,
          () -> {
            RowArchiveFile file = longSteps.writeRowArchive(month);
            longSteps.verifyRowArchive(file);
            marked[0] = longSteps.markRowsArchived(file);
          });
      rows += marked[0];
    }
    if (plan.copyRepositories() != null
        && !plan.copyRepositories().isEmpty()
        && Workflow.getVersion(COPY_RETENTION, Workflow.DEFAULT_VERSION, 1) >= 1) {
      CopyActivities copies = Workflow.newActivityStub(CopyActivities.class, LONG);
      for (String repository : plan.copyRepositories()) {
        // Each repository on its own: a prune here deletes nothing anywhere else.
        attempt(
            "retention of copies in " + repository,
            new ArrayList<>(),
            failures,
            () ->
                applied.addAll(
                    copies.pruneCopies(
                        new CopyRetentionRequest(
                            runId, plan.source(), repository, Workflow.currentTimeMillis()))));
      }
    }
    return new SourceRetentionResult(plan.source(), plan, applied, failures, rows);
  }

  /** copy → verify the copy → catalog → only then the hot copy goes. */
  private void archive(String runId, RetentionDecision decision) {
    ActionRequest request =
        new ActionRequest(
            runId,
            decision.backupId(),
            decision.source(),
            decision.storageClass(),
            decision.reason());
    ColdCopy copy = longSteps.copyToCold(request);
    longSteps.verifyColdCopy(copy);
    shortSteps.recordColdCopy(copy);
    shortSteps.removeHotCopy(copy);
  }

  /** The catalog stops offering the backup first, then the objects go, then it is PRUNED. */
  private void prune(String runId, RetentionDecision decision) {
    ActionRequest request =
        new ActionRequest(runId, decision.backupId(), decision.source(), null, decision.reason());
    shortSteps.beginPrune(request);
    shortSteps.deletePrunedObjects(request);
    shortSteps.markPruned(request);
  }

  private static void attempt(
      String what, List<String> applied, List<String> failures, Runnable action) {
    try {
      action.run();
      applied.add(what);
    } catch (ActivityFailure failure) {
      String line = what + ": " + Failures.reason(failure);
      log.warn("retention step failed: {}", line);
      failures.add(line);
    }
  }
}
