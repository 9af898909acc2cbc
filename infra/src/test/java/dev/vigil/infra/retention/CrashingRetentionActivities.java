package dev.vigil.infra.retention;

import dev.vigil.workflows.retention.ActionRequest;
import dev.vigil.workflows.retention.ColdCopy;
import dev.vigil.workflows.retention.ExtractResult;
import dev.vigil.workflows.retention.LocalArtifactDecision;
import dev.vigil.workflows.retention.RehydrateRequest;
import dev.vigil.workflows.retention.RehydrateTarget;
import dev.vigil.workflows.retention.RetentionActivities;
import dev.vigil.workflows.retention.RetentionPlanRequest;
import dev.vigil.workflows.retention.RowArchiveFile;
import dev.vigil.workflows.retention.RowMonth;
import dev.vigil.workflows.retention.SourcePlan;
import dev.vigil.workflows.retention.WalExpiry;
import dev.vigil.workflows.retention.WalExpiryRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The real activities, except that each step that changes something "crashes" once right after it
 * acted, before it reports success, as a worker dying at that moment would. Temporal retries the
 * step; at each crash the catalog is checked against the store.
 */
final class CrashingRetentionActivities implements RetentionActivities {
  private final RetentionActivities real;
  private final Supplier<List<String>> claimedButMissing;
  private final Set<String> crashed = new HashSet<>();
  final List<String> crashes = new ArrayList<>();
  final List<String> inconsistencies = new ArrayList<>();

  CrashingRetentionActivities(RetentionActivities real, Supplier<List<String>> claimedButMissing) {
    this.real = real;
    this.claimedButMissing = claimedButMissing;
  }

  private synchronized <T> T crashOnce(String step, String id, T result) {
    List<String> missing = claimedButMissing.get();
    if (!missing.isEmpty()) {
      inconsistencies.add("after " + step + " " + id + ": catalog claims missing " + missing);
    }
    if (crashed.add(step + " " + id)) {
      crashes.add(step + " " + id);
      throw new IllegalStateException("injected crash after " + step + " of " + id);
    }
    return result;
  }

  @Override
  public List<String> retentionSources(List<String> requested) {
    return real.retentionSources(requested);
  }

  @Override
  public SourcePlan plan(RetentionPlanRequest request) {
    return real.plan(request);
  }

  @Override
  public WalExpiry deleteExpiredWal(WalExpiryRequest request) {
    return crashOnce("deleteExpiredWal", request.source(), real.deleteExpiredWal(request));
  }

  @Override
  public ColdCopy copyToCold(ActionRequest request) {
    return crashOnce("copyToCold", request.backupId(), real.copyToCold(request));
  }

  @Override
  public void verifyColdCopy(ColdCopy copy) {
    real.verifyColdCopy(copy);
    crashOnce("verifyColdCopy", copy.backupId(), null);
  }

  @Override
  public void recordColdCopy(ColdCopy copy) {
    real.recordColdCopy(copy);
    crashOnce("recordColdCopy", copy.backupId(), null);
  }

  @Override
  public void removeHotCopy(ColdCopy copy) {
    real.removeHotCopy(copy);
    crashOnce("removeHotCopy", copy.backupId(), null);
  }

  @Override
  public void beginPrune(ActionRequest request) {
    real.beginPrune(request);
    crashOnce("beginPrune", request.backupId(), null);
  }

  @Override
  public void deletePrunedObjects(ActionRequest request) {
    real.deletePrunedObjects(request);
    crashOnce("deletePrunedObjects", request.backupId(), null);
  }

  @Override
  public void markPruned(ActionRequest request) {
    real.markPruned(request);
    crashOnce("markPruned", request.backupId(), null);
  }

  @Override
  public void removeLocalArtifact(LocalArtifactDecision decision) {
    real.removeLocalArtifact(decision);
    crashOnce("removeLocalArtifact", decision.path(), null);
  }

  @Override
  public RowArchiveFile writeRowArchive(RowMonth month) {
    return crashOnce("writeRowArchive", month.month(), real.writeRowArchive(month));
  }

  @Override
  public void verifyRowArchive(RowArchiveFile file) {
    real.verifyRowArchive(file);
    crashOnce("verifyRowArchive", file.month().month(), null);
  }

  @Override
  public long markRowsArchived(RowArchiveFile file) {
    return crashOnce("markRowsArchived", file.month().month(), real.markRowsArchived(file));
  }

  @Override
  public RehydrateTarget locateForRehydrate(RehydrateRequest request) {
    return real.locateForRehydrate(request);
  }

  @Override
  public boolean requestColdRestore(RehydrateTarget target, int days) {
    return real.requestColdRestore(target, days);
  }

  @Override
  public boolean objectReadable(RehydrateTarget target) {
    return real.objectReadable(target);
  }

  @Override
  public ExtractResult extract(RehydrateTarget target, String targetDir) {
    return real.extract(target, targetDir);
  }
}
