package dev.vigil.workflows.backup;

import dev.vigil.workflows.common.ActivityProfiles;
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

/** See {@link SourceBackupWorkflow}. Deterministic: no I/O, no wall clock. */
public final class SourceBackupWorkflowImpl implements SourceBackupWorkflow {
  private static final Logger log = Workflow.getLogger(SourceBackupWorkflowImpl.class);

  /** Catalog and store calls: short, retried until the catalog or store comes back. */
  static final ActivityOptions SHARED_OPTIONS = ActivityProfiles.SHARED;

  /** Reading a large object back takes long: heartbeat, and give up after a day of outage. */
  static final ActivityOptions VERIFY_UPLOAD_OPTIONS =
      ActivityOptions.newBuilder(SHARED_OPTIONS)
          .setStartToCloseTimeout(Duration.ofHours(6))
          .setScheduleToCloseTimeout(Duration.ofHours(24))
          .setHeartbeatTimeout(Duration.ofMinutes(1))
          .build();

  /** Dumping: a few attempts, then the source is reported as it is (unreachable, failing). */
  static final RetryOptions DUMP_RETRY = ActivityProfiles.FEW_ATTEMPTS;

  /** Spool steps: retried through storage outages for up to a day; heartbeats show progress. */
  static final RetryOptions SPOOL_RETRY =
      ActivityProfiles.retryUntilAnswered(Duration.ofMinutes(2));

  private final BackupActivities shared =
      Workflow.newActivityStub(BackupActivities.class, SHARED_OPTIONS);
  private final List<StepTiming> steps = new ArrayList<>();
  private String backupId;
  private String sourceName;
  private String currentStep = "starting";
  private String status = "RUNNING";

  /** Steps run through {@link StoppableStep}: a cancel always ends the run. */
  private boolean stoppableSteps;

  @Override
  public SourceBackupResult backup(SourceBackupRequest request) {
    return SearchAttributes.recordingOutcome(
        () -> backUp(request), result -> "ARCHIVED".equals(result.status()));
  }

  private SourceBackupResult backUp(SourceBackupRequest request) {
    stoppableSteps = Workflow.getVersion(StoppableStep.CHANGE_ID, Workflow.DEFAULT_VERSION, 1) >= 1;
    backupId = request.backupId();
    sourceName = request.source().name();
    SourceRef source = request.source();
    String about = source.name() + " (" + source.type() + ")";
    HostQueue host = step("reserve-host", shared::reserveHost);
    // The spool lives on one host, so every step that touches it goes to that host's own queue.
    ActivityOptions dumpOptions =
        ActivityProfiles.onHost(host.taskQueue(), Duration.ofHours(12), DUMP_RETRY);
    ActivityOptions spoolOptions =
        ActivityProfiles.onHost(host.taskQueue(), Duration.ofHours(6), SPOOL_RETRY);
    // Cleanup must not wait a day for a host that is gone: a short, bounded stub of its own.
    SpoolActivities cleaner =
        ActivityProfiles.summarized(
            SpoolActivities.class,
            ActivityProfiles.cleanupOnHost(host.taskQueue()),
            "clean spool of " + backupId + " on " + host.hostId());
    var info = Workflow.getInfo();
    try {
      step(
          "begin",
          () -> {
            summarized(BackupActivities.class, SHARED_OPTIONS, "record start of " + backupId)
                .beginBackup(
                    new BackupStart(
                        backupId,
                        request.setId(),
                        source,
                        info.getWorkflowId(),
                        info.getRunId(),
                        host.hostId(),
                        request.triggeredBy(),
                        Workflow.currentTimeMillis()));
            return null;
          });
      DumpResult dump =
          step(
              "dump",
              () ->
                  summarized(SpoolActivities.class, dumpOptions, "dump " + about)
                      .dump(new DumpRequest(backupId, source)));
      VerifyDumpResult check =
          step(
              "verify",
              () ->
                  summarized(SpoolActivities.class, spoolOptions, "verify dump of " + about)
                      .verifyDump(new VerifyDumpRequest(source, dump)));
      SealResult sealed =
          step(
              "compress",
              () ->
                  summarized(
                          SpoolActivities.class,
                          spoolOptions,
                          "compress and encrypt " + source.name())
                      .seal(new SealRequest(source, dump)));
      UploadResult upload =
          step(
              "upload",
              () ->
                  summarized(
                          SpoolActivities.class,
                          spoolOptions,
                          "upload " + source.name() + " → repository " + source.repository())
                      .upload(new UploadRequest(request.setId(), source, dump, sealed, check)));
      UploadVerification verification =
          step(
              "verify-upload",
              () ->
                  summarized(
                          BackupActivities.class,
                          VERIFY_UPLOAD_OPTIONS,
                          "read back s3://" + upload.bucket() + "/" + upload.objectKey())
                      .verifyUpload(new VerifyUploadRequest(source.repository(), upload, sealed)));
      step(
          "mark-archived",
          () -> {
            summarized(BackupActivities.class, SHARED_OPTIONS, "record " + backupId + " ARCHIVED")
                .markArchived(
                    new ArchiveRequest(
                        backupId, dump, sealed, upload, verification, check.warnings()));
            return null;
          });
      status = "ARCHIVED";
      currentStep = "done";
      return new SourceBackupResult(
          backupId,
          request.source(),
          status,
          dump.rawBytes(),
          sealed.storedBytes(),
          sealed.sha256(),
          upload.bucket(),
          upload.objectKey(),
          upload.manifestKey(),
          verification.storageClass(),
          sealed.compression(),
          dump.consistentAtMillis(),
          check.warnings(),
          List.copyOf(steps),
          null,
          null);
    } catch (ActivityFailure | CanceledFailure failure) {
      status = "FAILED";
      String reason = Failures.reason(failure);
      String type = Failures.type(failure);
      log.warn("backup {} of {} failed at {}: {}", backupId, sourceName, currentStep, reason);
      // Runs even when the workflow was cancelled: a cancelled backup is recorded, not forgotten.
      Workflow.newDetachedCancellationScope(
              () ->
                  shared.markFailed(
                      new FailRequest(backupId, type, currentStep + ": " + reason, currentStep)))
          .run();
      if (failure instanceof CanceledFailure || CancellationScope.current().isCancelRequested()) {
        throw new CanceledFailure("backup " + backupId + " cancelled at " + currentStep);
      }
      throw ApplicationFailure.newNonRetryableFailure(
          "backup " + backupId + " failed at " + currentStep + ": " + reason, type);
    } finally {
      Workflow.newDetachedCancellationScope(() -> cleanSpool(cleaner)).run();
    }
  }

  @Override
  public SourceProgress progress() {
    return new SourceProgress(backupId, sourceName, currentStep, status);
  }

  private void cleanSpool(SpoolActivities spool) {
    try {
      spool.cleanSpool(backupId);
    } catch (ActivityFailure failure) {
      // The backup's outcome stands; a leftover spool is swept when the worker starts again.
      log.warn("spool of {} not cleaned: {}", backupId, Failures.reason(failure));
    }
  }

  private static <T> T summarized(Class<T> activities, ActivityOptions options, String summary) {
    return ActivityProfiles.summarized(activities, options, summary);
  }

  private <T> T step(String name, Supplier<T> action) {
    currentStep = name;
    Workflow.setCurrentDetails("Backup " + backupId + ": " + name);
    long started = Workflow.currentTimeMillis();
    T result = stoppableSteps ? StoppableStep.call(action) : action.get();
    steps.add(new StepTiming(name, started, Workflow.currentTimeMillis() - started));
    return result;
  }
}
