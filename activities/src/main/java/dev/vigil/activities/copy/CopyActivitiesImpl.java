package dev.vigil.activities.copy;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.Activities;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.RetentionConfig;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.retention.RetentionPolicyEngine;
import dev.vigil.activities.store.ObjectAttributes;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.copy.CopiedItem;
import dev.vigil.workflows.copy.CopyActivities;
import dev.vigil.workflows.copy.CopyRetentionRequest;
import dev.vigil.workflows.copy.CopyTask;
import dev.vigil.workflows.retention.RetentionAction;
import dev.vigil.workflows.retention.RetentionDecision;
import io.temporal.activity.Activity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies archived backups to second repositories by streaming each object from the primary store
 * into the copy's store (GET → PUT through {@link ObjectStore}, so the two may be different kinds),
 * reads every copy back before the catalog calls it VERIFIED, and prunes copies per repository.
 * Copies keep the primary's object keys, so a backup's manifest (which names its object key)
 * verifies unchanged when it is restored from the copy.
 */
public final class CopyActivitiesImpl implements CopyActivities {
  private static final Logger log = LoggerFactory.getLogger(CopyActivitiesImpl.class);

  private final VigilServices services;
  private final CopyCatalog catalog;

  public CopyActivitiesImpl(VigilServices services) {
    this.services = services;
    this.catalog = new CopyCatalog(services.catalogDataSource());
  }

  @Override
  public List<CopyTask> pendingCopies(List<String> sources) {
    return Activities.run(
        () -> {
          List<CopyTask> backups = new ArrayList<>();
          List<CopyTask> sets = new ArrayList<>();
          for (String name : sources) {
            SourceConfig source = services.source(name);
            for (String repository : services.config().copiesOf(name)) {
              backups.addAll(catalog.pendingBackups(name, source.repository(), repository));
              String primary = source.repository();
              for (String setId : catalog.pendingSets(name, repository)) {
                String key = services.store(primary).key("sets/" + setId + ".json");
                CopyTask set =
                    new CopyTask(
                        CopyTask.SET, setId, name, primary, repository, key, null, -1, null);
                // A set with several copied sources is owed once per repository.
                if (sets.stream()
                    .noneMatch(
                        other ->
                            other.itemId().equals(setId)
                                && other.toRepository().equals(repository))) {
                  sets.add(set);
                }
              }
            }
          }
          // Set manifests after the backups they list.
          List<CopyTask> tasks = new ArrayList<>(backups);
          tasks.addAll(sets);
          return tasks;
        });
  }

  @Override
  public CopiedItem copy(CopyTask task) {
    return Activities.run(
        () -> {
          ObjectStore from = services.store(task.fromRepository());
          ObjectStore to = services.store(task.toRepository());
          StoredObject object = headOrCorrupt(from, task.objectKey(), task);
          if (task.storedBytes() >= 0 && object.size() != task.storedBytes()) {
            throw new VigilException(
                ErrorType.OBJECT_CORRUPT,
                "not copied: object '"
                    + task.objectKey()
                    + "' in repository '"
                    + task.fromRepository()
                    + "' is "
                    + object.size()
                    + " bytes, the catalog recorded "
                    + task.storedBytes()
                    + "; the primary copy is damaged, check it with vigil check --read-data");
          }
          // A set manifest is small: read it once for its digest; a data object's digest is the
          // catalog's, and the read-back checks the copy against it.
          String sha256 =
              task.sha256() != null ? task.sha256() : digest(from, task.objectKey()).sha256();
          stream(from, to, object, task.objectKey());
          long manifestBytes = -1;
          String manifestSha256 = null;
          if (task.manifestKey() != null) {
            StoredObject manifest = headOrCorrupt(from, task.manifestKey(), task);
            manifestSha256 = digest(from, task.manifestKey()).sha256();
            manifestBytes = manifest.size();
            stream(from, to, manifest, task.manifestKey());
          }
          CopiedItem copied =
              new CopiedItem(task, object.size(), sha256, manifestBytes, manifestSha256);
          catalog.recordCopied(copied, to.bucket());
          log.info("copied {} ({} bytes)", task.describe(), object.size());
          return copied;
        });
  }

  @Override
  public void verifyCopy(CopiedItem copied) {
    Activities.run(
        () -> {
          CopyTask task = copied.task();
          ObjectStore to = services.store(task.toRepository());
          String problem = mismatch(to, task.objectKey(), copied.bytes(), copied.sha256());
          if (problem == null && task.manifestKey() != null) {
            problem =
                mismatch(to, task.manifestKey(), copied.manifestBytes(), copied.manifestSha256());
          }
          if (problem != null) {
            String reason =
                "the copy of "
                    + task.itemKind()
                    + " '"
                    + task.itemId()
                    + "' in repository '"
                    + task.toRepository()
                    + "' is corrupt: "
                    + problem
                    + "; it is not restorable and the next run copies it again";
            catalog.markFailed(task, reason);
            throw new VigilException(ErrorType.OBJECT_CORRUPT, reason);
          }
          catalog.markVerified(task);
          log.info("verified the copy of {}", task.describe());
        });
  }

  @Override
  public List<String> pruneCopies(CopyRetentionRequest request) {
    return Activities.run(
        () -> {
          RetentionConfig policy = services.config().retention().get(request.source());
          List<String> lines = new ArrayList<>();
          if (policy == null || !policy.hasKeepRule()) {
            return lines;
          }
          // The source's keep rules, on this repository's verified copies alone; archival to a
          // cold class is the primary's business.
          RetentionConfig keepOnly =
              new RetentionConfig(
                  policy.keepLast(),
                  policy.keepDaily(),
                  policy.keepWeekly(),
                  policy.keepMonthly(),
                  policy.keepYearly(),
                  policy.keepWithin(),
                  null,
                  null,
                  policy.archiveStorageClass(),
                  null,
                  Map.of());
          List<RetentionDecision> decisions =
              RetentionPolicyEngine.plan(
                  catalog.retainedCopies(request.source(), request.repository()),
                  keepOnly,
                  Instant.ofEpochMilli(request.nowMillis()));
          ObjectStore store = services.store(request.repository());
          for (RetentionDecision decision : decisions) {
            if (decision.action() != RetentionAction.PRUNE) {
              continue;
            }
            CopyCatalog.StoredCopy copy =
                catalog.copiesOf(CopyTask.BACKUP, decision.backupId()).stream()
                    .filter(stored -> stored.repository().equals(request.repository()))
                    .findFirst()
                    .orElseThrow();
            catalog.beginPrune(decision.backupId(), request.repository());
            store.delete(copy.objectKey());
            if (copy.manifestKey() != null) {
              store.delete(copy.manifestKey());
            }
            catalog.markPruned(decision.backupId(), request.repository());
            Activity.getExecutionContext().heartbeat(decision.backupId());
            String line =
                "prune copy of "
                    + decision.backupId()
                    + " in "
                    + request.repository()
                    + " ("
                    + decision.reason()
                    + ")";
            log.info("retention {}: {}", request.source(), line);
            lines.add(line);
          }
          return lines;
        });
  }

  private static StoredObject headOrCorrupt(ObjectStore store, String key, CopyTask task) {
    return store
        .head(key)
        .orElseThrow(
            () ->
                new VigilException(
                    ErrorType.OBJECT_CORRUPT,
                    "not copied: object '"
                        + key
                        + "' of "
                        + task.itemKind()
                        + " '"
                        + task.itemId()
                        + "' is missing from repository '"
                        + store.repository()
                        + "' (bucket '"
                        + store.bucket()
                        + "')"));
  }

  /** GET → PUT with the primary's tags and metadata, in the copy repository's storage class. */
  private static void stream(ObjectStore from, ObjectStore to, StoredObject object, String key) {
    ObjectAttributes attributes = new ObjectAttributes(null, from.tags(key), object.metadata());
    to.putFrom(
        offset -> from.open(key, offset),
        object.size(),
        key,
        attributes,
        bytes -> Activity.getExecutionContext().heartbeat(bytes));
  }

  private static Digests.Summary digest(ObjectStore store, String key) {
    try (InputStream in = store.open(key)) {
      return Digests.summarize(in, bytes -> Activity.getExecutionContext().heartbeat(bytes));
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.REPOSITORY_UNAVAILABLE,
          "reading '" + key + "' from repository '" + store.repository() + "' failed: " + e,
          e);
    }
  }

  /** What is wrong with the stored object, or null if it has the size and digest expected. */
  private static String mismatch(ObjectStore store, String key, long size, String sha256) {
    if (store.head(key).isEmpty()) {
      return "object '" + key + "' is missing from bucket '" + store.bucket() + "'";
    }
    Digests.Summary read;
    try {
      read = digest(store, key);
    } catch (UncheckedIOException e) {
      return "object '" + key + "' could not be read back: " + e.getMessage();
    }
    if (read.size() != size || !read.sha256().equals(sha256)) {
      return "object '"
          + key
          + "' reads back as "
          + read.size()
          + " bytes with SHA-256 "
          + read.sha256()
          + ", expected "
          + size
          + " bytes with SHA-256 "
          + sha256;
    }
    return null;
  }
}
