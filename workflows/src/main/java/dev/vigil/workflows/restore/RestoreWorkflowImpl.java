package dev.vigil.workflows.restore;

import dev.vigil.workflows.backup.BackupActivities;
import dev.vigil.workflows.backup.HostQueue;
import dev.vigil.workflows.common.ActivityProfiles;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.common.SearchAttributes;
import dev.vigil.workflows.common.StepTiming;
import dev.vigil.workflows.common.StoppableStep;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * See {@link RestoreWorkflow}. Deterministic: no I/O, no wall clock. Steps that touch the spool
 * (and the target, which lives on the same host for directories and fresh clusters) run on the host
 * queue that {@code reserveHost} names, as backups do.
 */
public final class RestoreWorkflowImpl implements RestoreWorkflow {
  private static final Logger log = Workflow.getLogger(RestoreWorkflowImpl.class);

  /** Version change: the target is checked on the host before the download. */
  static final String CHECK_TARGET_FIRST = "check-target-before-download";

  /**
   * Version change: a physical base backup replays the archived WAL to the request's recovery
   * target (fetch-wal before the download, then recover instead of restore).
   */
  static final String POINT_IN_TIME = "point-in-time-recovery";

  /**
   * Version change: a restore that fails or is cancelled before its restore step completed drops
   * the database its download created to load the rows into ({@code discardEarlyLoad}).
   */
  static final String DISCARD_EARLY_LOAD = "discard-early-load";

  /** The target type of a restore into a new cluster Vigil starts. */
  public static final String FRESH_CLUSTER = "fresh-cluster";

  /**
   * Version change: a physical base backup restored into a data directory (a {@code directory}
   * target) is recovered and validated on a temporary server, which a last step stops cleanly
   * before the directory is moved into place.
   */
  static final String DATA_DIRECTORY_CHANGE = "physical-data-directory";

  /**
   * The target type of a physical backup restored into a data directory the operator starts: while
   * the temporary server runs, its host and port; once stopped, only the directory.
   */
  public static final String DATA_DIRECTORY = "data-directory";

  /** Catalog calls: short, retried until the catalog comes back. */
  static final ActivityOptions SHARED_OPTIONS =
      ActivityOptions.newBuilder(ActivityProfiles.SHARED)
          .setScheduleToCloseTimeout(Duration.ofHours(24))
          .build();

  /** Download, verify, decrypt: retried through storage outages for up to a day. */
  static final RetryOptions SPOOL_RETRY =
      ActivityProfiles.retryUntilAnswered(Duration.ofMinutes(2));

  /** Restore and validate: a few attempts, then the target's problem is reported as it is. */
  static final RetryOptions TARGET_RETRY = ActivityProfiles.FEW_ATTEMPTS;

  private final RestoreActivities catalog =
      Workflow.newActivityStub(RestoreActivities.class, SHARED_OPTIONS);
  private final BackupActivities hosts =
      Workflow.newActivityStub(BackupActivities.class, SHARED_OPTIONS);
  private final List<StepTiming> steps = new ArrayList<>();
  private String currentStep = "starting";

  @Override
  public RestoreResult restore(RestoreRequest request) {
    return SearchAttributes.recordingOutcome(
        () -> runRestore(request), result -> "RESTORED".equals(result.status()));
  }

  /** Steps run through {@link StoppableStep}: a cancel always ends the run. */
  private boolean stoppableSteps;

  private RestoreResult runRestore(RestoreRequest request) {
    stoppableSteps = Workflow.getVersion(StoppableStep.CHANGE_ID, Workflow.DEFAULT_VERSION, 1) >= 1;
    long startedAt = Workflow.currentTimeMillis();
    String restoreId = Workflow.getInfo().getWorkflowId();
    SelectedBackup backup = null;
    HostQueue host = null;
    RestoreSpoolActivities cleaner = null;
    RestoreTarget restored = request.target();
    // Set from the download until the restore step completes: what a failure must take back.
    RestoreDataRequest loadedInto = null;
    try {
      SelectedBackup selected = step("select", () -> catalog.selectBackup(request.selector()));
      backup = selected;
      if (selected.readNote() != null) {
        log.warn("restore {}: {}", restoreId, selected.readNote());
      }
      boolean replaysWal =
          Workflow.getVersion(POINT_IN_TIME, Workflow.DEFAULT_VERSION, 1) >= 1
              && RecoveryTarget.PHYSICAL_FORMAT.equals(selected.format())
              && RecoveryTarget.of(request.selector()).replaysWal();
      RecoveryTarget recovery = replaysWal ? RecoveryTarget.of(request.selector()) : null;
      HostQueue reserved = step("reserve-host", hosts::reserveHost);
      host = reserved;
      // Cleanup must not wait a day for a host that is gone: a short, bounded stub of its own.
      cleaner =
          Workflow.newActivityStub(
              RestoreSpoolActivities.class, ActivityProfiles.cleanupOnHost(reserved.taskQueue()));
      RestoreSpoolActivities transfer = spoolStub(reserved, Duration.ofHours(6), SPOOL_RETRY);
      RestoreSpoolActivities target = spoolStub(reserved, Duration.ofHours(12), TARGET_RETRY);
      RestoreDataRequest data =
          new RestoreDataRequest(
              restoreId, selected, request.target(), request.force(), request.parallelJobs());
      if (Workflow.getVersion(CHECK_TARGET_FIRST, Workflow.DEFAULT_VERSION, 1) >= 1) {
        // A target the restore could not use fails the run before a byte is downloaded.
        RestoreSpoolActivities checker = spoolStub(reserved, Duration.ofMinutes(5), TARGET_RETRY);
        step(
            "check-target",
            () -> {
              checker.checkTarget(data);
              return null;
            });
      }
      // Before the long download: a target the archive cannot reach is refused here.
      WalRange wal =
          replaysWal
              ? step(
                  "fetch-wal",
                  () -> transfer.fetchWal(new WalFetchRequest(restoreId, selected, recovery)))
              : null;
      // A database restore may load the rows while downloading (the activity decides).
      loadedInto = replaysWal ? null : data;
      DownloadResult download =
          step(
              "download",
              () ->
                  transfer.downloadBackup(
                      new DownloadRequest(restoreId, selected, replaysWal ? null : data)));
      step("verify", () -> transfer.verifyBackup(new VerifyRequest(restoreId, selected, download)));
      step("decrypt", () -> transfer.unsealBackup(new UnsealRequest(restoreId, selected)));
      RecoveredPoint recovered =
          replaysWal
              ? step(
                  "restore",
                  () ->
                      target.recoverPhysical(
                          new RecoveryRequest(
                              restoreId, selected, request.target(), recovery, wal)))
              : null;
      restored =
          recovered != null
              ? recovered.target()
              : step("restore", () -> target.restoreBackup(data));
      loadedInto = null;
      RestoreTarget into = restored;
      ValidationResult validated =
          step(
              "validate",
              () -> target.validateRestore(new ValidateRequest(restoreId, selected, into)));
      ValidationResult validation =
          recovered == null ? validated : withCheck(validated, recovered.check());
      RestoreTarget kept = into;
      if (DATA_DIRECTORY.equals(into.type())
          && Workflow.getVersion(DATA_DIRECTORY_CHANGE, Workflow.DEFAULT_VERSION, 1) >= 1) {
        if (validation.passed()) {
          // Stopped cleanly and moved into place only once it validated.
          kept = step("stop-server", () -> target.finishDataDirectory(restoreId));
        } else {
          stopFreshCluster(cleaner, restoreId);
        }
      }
      RestoreTarget finished = kept;
      String status = validation.passed() ? "RESTORED" : "FAILED";
      String failure =
          validation.passed() ? null : "validate: " + String.join("; ", validation.failures());
      String failureType = validation.passed() ? null : ErrorType.VALIDATION_FAILED.name();
      if (failure != null) {
        log.warn("restore {} of {} did not validate: {}", restoreId, selected.backupId(), failure);
      }
      step(
          "record",
          () -> {
            catalog.recordRestore(
                new RestoreRecord(
                    restoreId,
                    Workflow.getInfo().getRunId(),
                    selected.backupId(),
                    selected.source().name(),
                    finished,
                    status,
                    startedAt,
                    Workflow.currentTimeMillis(),
                    validation,
                    List.copyOf(steps),
                    failureType,
                    failure,
                    request.requestedBy()));
            return null;
          });
      currentStep = "done";
      return new RestoreResult(
          selected.backupId(),
          selected.source().name(),
          selected.source().kind(),
          status,
          selected.storedBytes(),
          selected.rawBytes(),
          recovered != null ? recovered.consistentAtMillis() : selected.consistentAtMillis(),
          finished,
          validation,
          List.copyOf(steps),
          startedAt,
          Workflow.currentTimeMillis(),
          failure,
          recovered,
          selected.source().repository(),
          selected.readNote());
    } catch (ActivityFailure | CanceledFailure failure) {
      String reason = Failures.reason(failure);
      String type = Failures.type(failure);
      String failedStep = currentStep;
      log.warn("restore {} failed at {}: {}", restoreId, failedStep, reason);
      SelectedBackup selected = backup;
      RestoreSpoolActivities hostCleaner = cleaner;
      RestoreTarget attempted = restored;
      RestoreDataRequest discard = loadedInto;
      // Runs even when the workflow was cancelled: a cancelled restore is recorded, not forgotten.
      Workflow.newDetachedCancellationScope(
              () -> {
                if (hostCleaner != null
                    && discard != null
                    && Workflow.getVersion(DISCARD_EARLY_LOAD, Workflow.DEFAULT_VERSION, 1) >= 1) {
                  // Rows loaded during the download, without the restore step's indexes and
                  // constraints, are no restore: the database this restore created goes.
                  discardEarlyLoad(hostCleaner, discard);
                }
                if (hostCleaner != null
                    && (FRESH_CLUSTER.equals(request.target().type())
                        || (attempted != null && DATA_DIRECTORY.equals(attempted.type())))) {
                  // A half-restored cluster is worth nothing: do not leave it running (a data
                  // directory's staging copy goes with it; the target is as it was).
                  stopFreshCluster(hostCleaner, restoreId);
                }
                recordFailure(
                    request, restoreId, selected, attempted, startedAt, type, failedStep, reason);
              })
          .run();
      if (failure instanceof CanceledFailure || CancellationScope.current().isCancelRequested()) {
        throw new CanceledFailure("restore " + restoreId + " cancelled at " + failedStep);
      }
      throw ApplicationFailure.newNonRetryableFailure(
          "restore " + restoreId + " failed at " + failedStep + ": " + reason, type);
    } finally {
      if (host != null) {
        RestoreSpoolActivities hostCleaner = cleaner;
        Workflow.newDetachedCancellationScope(() -> cleanSpool(hostCleaner, restoreId)).run();
      }
    }
  }

  /** The recovery's own check (target reached) leads the validation's checks. */
  private static ValidationResult withCheck(ValidationResult validation, String check) {
    List<String> checks = new ArrayList<>();
    checks.add(check);
    if (validation.checks() != null) {
      checks.addAll(validation.checks());
    }
    return new ValidationResult(validation.passed(), checks, validation.failures());
  }

  @Override
  public String currentStep() {
    return currentStep;
  }

  private void recordFailure(
      RestoreRequest request,
      String restoreId,
      SelectedBackup backup,
      RestoreTarget target,
      long startedAt,
      String type,
      String failedStep,
      String reason) {
    try {
      catalog.recordRestore(
          new RestoreRecord(
              restoreId,
              Workflow.getInfo().getRunId(),
              backup == null ? request.selector().backupId() : backup.backupId(),
              backup == null ? request.selector().source() : backup.source().name(),
              target,
              "FAILED",
              startedAt,
              Workflow.currentTimeMillis(),
              null,
              List.copyOf(steps),
              type,
              failedStep + ": " + reason,
              request.requestedBy()));
    } catch (ActivityFailure failure) {
      // The restore's outcome stands; the catalog row is what is lost, and the log says so.
      log.warn("restore {} not recorded: {}", restoreId, Failures.reason(failure));
    }
  }

  private static void stopFreshCluster(RestoreSpoolActivities cleaner, String restoreId) {
    try {
      cleaner.stopFreshCluster(restoreId);
    } catch (ActivityFailure failure) {
      log.warn("fresh cluster of {} not stopped: {}", restoreId, Failures.reason(failure));
    }
  }

  private static void discardEarlyLoad(RestoreSpoolActivities cleaner, RestoreDataRequest data) {
    try {
      cleaner.discardEarlyLoad(data);
    } catch (ActivityFailure failure) {
      log.warn(
          "database loaded during the download of {} not dropped: {}",
          data.restoreId(),
          Failures.reason(failure));
    }
  }

  private static void cleanSpool(RestoreSpoolActivities cleaner, String restoreId) {
    try {
      cleaner.cleanRestoreSpool(restoreId);
    } catch (ActivityFailure failure) {
      // The restore's outcome stands; a leftover spool directory is only disk space.
      log.warn("spool of {} not cleaned: {}", restoreId, Failures.reason(failure));
    }
  }

  private static RestoreSpoolActivities spoolStub(
      HostQueue host, Duration startToClose, RetryOptions retry) {
    return Workflow.newActivityStub(
        RestoreSpoolActivities.class,
        ActivityProfiles.onHost(host.taskQueue(), startToClose, retry));
  }

  private <T> T step(String name, Supplier<T> action) {
    currentStep = name;
    Workflow.setCurrentDetails("Restore " + Workflow.getInfo().getWorkflowId() + ": " + name);
    long started = Workflow.currentTimeMillis();
    T result = stoppableSteps ? StoppableStep.call(action) : action.get();
    steps.add(new StepTiming(name, started, Workflow.currentTimeMillis() - started));
    return result;
  }
}
