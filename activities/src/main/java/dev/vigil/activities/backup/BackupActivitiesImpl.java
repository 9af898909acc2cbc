package dev.vigil.activities.backup;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.Activities;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.store.ObjectAttributes;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredChecksum;
import dev.vigil.workflows.backup.ArchiveRequest;
import dev.vigil.workflows.backup.BackupActivities;
import dev.vigil.workflows.backup.BackupSetRecord;
import dev.vigil.workflows.backup.BackupSetRequest;
import dev.vigil.workflows.backup.BackupStart;
import dev.vigil.workflows.backup.FailRequest;
import dev.vigil.workflows.backup.HostQueue;
import dev.vigil.workflows.backup.PlanRequest;
import dev.vigil.workflows.backup.ResolvedPlan;
import dev.vigil.workflows.backup.SealResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.backup.UploadVerification;
import dev.vigil.workflows.backup.VerifyUploadRequest;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.common.TaskQueues;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Backup steps any worker can run: plan resolution, catalog records, upload verification. */
public final class BackupActivitiesImpl implements BackupActivities {
  private static final Logger log = LoggerFactory.getLogger(BackupActivitiesImpl.class);
  private static final int BUFFER = 1 << 20;

  private final VigilServices services;
  private final BackupMetrics metrics;

  public BackupActivitiesImpl(VigilServices services) {
    this(services, new BackupMetrics());
  }

  public BackupActivitiesImpl(VigilServices services, BackupMetrics metrics) {
    this.services = services;
    this.metrics = metrics;
  }

  /** The source as workflows see it: names and kinds, no secrets. */
  public static SourceRef ref(SourceConfig source) {
    return new SourceRef(source.name(), source.type(), source.kind(), source.repository());
  }

  @Override
  public ResolvedPlan resolvePlan(PlanRequest request) {
    return Activities.run(
        () -> {
          List<String> names =
              request.sources() == null || request.sources().isEmpty()
                  ? List.copyOf(services.config().sources().keySet())
                  : request.sources();
          List<SourceRef> sources = new ArrayList<>();
          for (String name : new LinkedHashSet<>(names)) {
            sources.add(ref(services.source(name)));
          }
          List<String> copied =
              sources.stream()
                  .map(SourceRef::name)
                  .filter(name -> !services.config().copiesOf(name).isEmpty())
                  .toList();
          return new ResolvedPlan(
              request.plan(), sources, services.config().worker().maxParallelSources(), copied);
        });
  }

  @Override
  public HostQueue reserveHost() {
    String hostId = services.config().worker().hostId();
    return new HostQueue(hostId, TaskQueues.host(services.config().temporal().taskQueue(), hostId));
  }

  @Override
  public void beginBackup(BackupStart start) {
    Activities.run(() -> services.catalog().beginBackup(start));
  }

  @Override
  public UploadVerification verifyUpload(VerifyUploadRequest request) {
    return Activities.run(
        () -> {
          ActivityExecutionContext context = Activity.getExecutionContext();
          ObjectStore store = services.store(request.repository());
          String key = request.upload().objectKey();
          var head =
              store
                  .head(key)
                  .orElseThrow(
                      () ->
                          new VigilException(
                              ErrorType.UPLOAD_MISMATCH,
                              "object s3://"
                                  + store.bucket()
                                  + "/"
                                  + key
                                  + " is missing after upload"));
          String crc64nvme = request.upload().crc64nvme();
          // A repository set to read-back reads back, whatever the upload carried.
          boolean readBack =
              services.config().repositories().get(request.repository())
                      instanceof S3RepositoryConfig s3
                  && !s3.verifiesByChecksum();
          if (crc64nvme != null && !readBack) {
            var checksum = store.fullObjectChecksum(key);
            if (checksum.isPresent()) {
              return verifyByChecksum(store, key, request, checksum.get(), head.storageClass());
            }
            // The store took the checksum but keeps none we can read: prove it the long way.
            log.warn(
                "verify-upload: {} in bucket {} has no full-object checksum to compare; reading"
                    + " it back",
                key,
                store.bucket());
          }
          Digests.Summary stored;
          // Read back the bytes themselves: a composite multipart checksum is not the file's hash.
          try (InputStream in = store.open(key)) {
            stored = Digests.summarize(in, context::heartbeat);
          } catch (IOException e) {
            throw new VigilException(
                ErrorType.REPOSITORY_UNAVAILABLE,
                "verify-upload: reading s3://"
                    + store.bucket()
                    + "/"
                    + key
                    + " failed: "
                    + e.getMessage(),
                e);
          }
          long size = stored.size();
          String actual = stored.sha256();
          if (size != request.sealed().storedBytes() || !actual.equals(request.sealed().sha256())) {
            throw mismatch(
                store,
                key,
                size + " bytes, SHA-256 " + actual,
                request.sealed().storedBytes() + " bytes, SHA-256 " + request.sealed().sha256());
          }
          return new UploadVerification(size, actual, head.storageClass(), "read-back");
        });
  }

  /**
   * The store's own CRC64NVME of the whole object against the one Vigil computed over the sealed
   * file (whose SHA-256 the upload checked while it sent it), and the size: equal means the store
   * holds the sealed bytes, without downloading them.
   */
  private static UploadVerification verifyByChecksum(
      ObjectStore store,
      String key,
      VerifyUploadRequest request,
      StoredChecksum stored,
      String storageClass) {
    SealResult sealed = request.sealed();
    String expected = request.upload().crc64nvme();
    if (stored.size() != sealed.storedBytes() || !stored.crc64nvme().equals(expected)) {
      throw mismatch(
          store,
          key,
          stored.size() + " bytes, CRC64NVME " + stored.crc64nvme() + " as the store computed it",
          sealed.storedBytes() + " bytes, CRC64NVME " + expected);
    }
    return new UploadVerification(stored.size(), sealed.sha256(), storageClass, "checksum");
  }

  private static VigilException mismatch(
      ObjectStore store, String key, String stored, String sealed) {
    return new VigilException(
        ErrorType.UPLOAD_MISMATCH,
        "object s3://"
            + store.bucket()
            + "/"
            + key
            + " has "
            + stored
            + "; the sealed file had "
            + sealed);
  }

  @Override
  public void markArchived(ArchiveRequest request) {
    Activities.run(() -> services.catalog().markArchived(request));
    log.info(
        "backup {} archived: {} raw → {} stored at s3://{}/{}",
        request.backupId(),
        request.dump().rawBytes(),
        request.sealed().storedBytes(),
        request.upload().bucket(),
        request.upload().objectKey());
  }

  @Override
  public void markFailed(FailRequest request) {
    Activities.run(
        () -> {
          // Read before the move, so a catalog error after it cannot lose the count on retry.
          var backup = services.catalog().find(request.backupId());
          String runId = Activity.getExecutionContext().getInfo().getRunId();
          if (services.catalog().markFailed(request, runId)) {
            // Counted on the move only: a retried markFailed finds the backup FAILED already.
            backup.ifPresent(found -> metrics.failed(found.source(), found.kind(), request.step()));
          }
        });
  }

  @Override
  public BackupSetRecord recordBackupSet(BackupSetRequest request) {
    return Activities.run(
        () -> {
          long archived = request.results().stream().filter(SourceBackupResult::archived).count();
          String status =
              archived == request.results().size() && archived > 0
                  ? "COMPLETE"
                  : archived == 0 ? "FAILED" : "PARTIAL";
          // Each repository that holds a backup of the set gets the set manifest, so each is
          // self-describing; a repository that took none (missing bucket) gets nothing.
          Set<String> repositories = new LinkedHashSet<>();
          request.results().stream()
              .filter(SourceBackupResult::archived)
              .forEach(result -> repositories.add(result.source().repository()));
          String manifestKey = null;
          for (String repository : repositories) {
            ObjectStore store = services.store(repository);
            String key = store.key("sets/" + request.setId() + ".json");
            writeSetManifest(store, key, request, status);
            if (manifestKey == null) {
              manifestKey = key;
            }
          }
          services.catalog().recordBackupSet(request, status, manifestKey);
          new ManifestIndex(services.catalogDataSource())
              .recordSteps(request.setId(), request.results());
          return new BackupSetRecord(request.setId(), status, manifestKey);
        });
  }

  private void writeSetManifest(
      ObjectStore store, String key, BackupSetRequest request, String status) {
    ObjectNode manifest = Json.MAPPER.createObjectNode();
    manifest.put("format", "vigil-backup-set/1");
    manifest.put("setId", request.setId());
    manifest.put("plan", request.plan());
    manifest.put("status", status);
    manifest.put("triggeredBy", request.triggeredBy());
    manifest.put("startedAt", Instant.ofEpochMilli(request.startedAtMillis()).toString());
    manifest.put("finishedAt", Instant.ofEpochMilli(request.finishedAtMillis()).toString());
    ArrayNode backups = manifest.putArray("backups");
    for (SourceBackupResult result : request.results()) {
      ObjectNode backup = backups.addObject();
      backup.put("backupId", result.backupId());
      backup.put("source", result.source().name());
      backup.put("type", result.source().type());
      backup.put("kind", result.source().kind());
      backup.put("repository", result.source().repository());
      backup.put("status", result.status());
      backup.put("objectKey", result.objectKey());
      backup.put("manifestKey", result.manifestKey());
      backup.put("sha256", result.sha256());
      backup.put("storedBytes", result.storedBytes());
      if (result.consistentAtMillis() > 0) {
        backup.put("consistentAt", Instant.ofEpochMilli(result.consistentAtMillis()).toString());
      }
      backup.put("failure", result.failure());
    }
    Path file = null;
    try {
      file = Files.createTempFile("vigil-set-", ".json");
      Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), manifest);
      ManifestMac mac = services.manifests().mac(file);
      store.putFile(
          file,
          key,
          new ObjectAttributes(null, Map.of("vigil-set-id", request.setId()), mac.metadata()));
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.REPOSITORY_UNAVAILABLE,
          "cannot write backup-set manifest " + key + ": " + e.getMessage(),
          e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException e) {
          log.debug("temp file {} left behind", file);
        }
      }
    }
  }
}
