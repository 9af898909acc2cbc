package dev.vigil.activities.retention;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.cas.ChunkCatalog;
import dev.vigil.activities.cas.ChunkCrypto;
import dev.vigil.activities.cas.ChunkReader;
import dev.vigil.activities.cas.PackSweeper;
import dev.vigil.activities.cas.Snapshot;
import dev.vigil.activities.cas.SnapshotCodec;
import dev.vigil.activities.cas.SnapshotTar;
import dev.vigil.activities.common.Activities;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.DirectorySourceConfig;
import dev.vigil.activities.config.Durations;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.activities.config.RetentionConfig;
import dev.vigil.activities.config.RowArchivalConfig;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.restore.BackupDownloader;
import dev.vigil.activities.restore.RestoreRoots;
import dev.vigil.activities.restore.SafeTarExtractor;
import dev.vigil.activities.restore.StagedDirectory;
import dev.vigil.activities.store.ColdRestoreState;
import dev.vigil.activities.store.CopyOutcome;
import dev.vigil.activities.store.ListedObject;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.activities.wal.PhysicalBackup;
import dev.vigil.activities.wal.WalChain;
import dev.vigil.activities.wal.WalSegment;
import dev.vigil.workflows.backup.BackupIds;
import dev.vigil.workflows.backup.SourceRef;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.retention.ActionRequest;
import dev.vigil.workflows.retention.ColdCopy;
import dev.vigil.workflows.retention.ExtractResult;
import dev.vigil.workflows.retention.LocalArtifactDecision;
import dev.vigil.workflows.retention.RehydrateRequest;
import dev.vigil.workflows.retention.RehydrateTarget;
import dev.vigil.workflows.retention.RetentionAction;
import dev.vigil.workflows.retention.RetentionActivities;
import dev.vigil.workflows.retention.RetentionDecision;
import dev.vigil.workflows.retention.RetentionPlanRequest;
import dev.vigil.workflows.retention.RowArchiveFile;
import dev.vigil.workflows.retention.RowMonth;
import dev.vigil.workflows.retention.SourcePlan;
import dev.vigil.workflows.retention.WalExpiry;
import dev.vigil.workflows.retention.WalExpiryRequest;
import io.temporal.activity.Activity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Retention's activities over the catalog, the object store and the source directories. Every step
 * checks the current state before it acts, so a retry after a crash at any point converges.
 */
public final class RetentionActivitiesImpl implements RetentionActivities {
  private static final Logger log = LoggerFactory.getLogger(RetentionActivitiesImpl.class);
  private static final int BUFFER = 1 << 20;

  /** Classes whose objects need a restore request before they can be read. */
  static final Set<String> ARCHIVE_CLASSES = Set.of("GLACIER", "DEEP_ARCHIVE");

  private final VigilServices services;
  private final RetentionCatalog catalog;
  private final RetentionMetrics metrics;
  private final ColdRestorer restorer;

  /** Activities with the store's own restore API and counters on the global registry. */
  public RetentionActivitiesImpl(VigilServices services) {
    this(services, new RetentionMetrics(), ColdRestorer.STORE);
  }

  public RetentionActivitiesImpl(
      VigilServices services, RetentionMetrics metrics, ColdRestorer restorer) {
    this.services = services;
    this.catalog = new RetentionCatalog(services.catalogDataSource());
    this.metrics = metrics;
    this.restorer = restorer;
  }

  @Override
  public List<String> retentionSources(List<String> requested) {
    return Activities.run(
        () -> {
          var config = services.config();
          if (requested == null || requested.isEmpty()) {
            Set<String> names = new LinkedHashSet<>();
            for (String name : config.sources().keySet()) {
              if (config.retention().containsKey(name) || config.rowArchival().containsKey(name)) {
                names.add(name);
              }
            }
            return List.copyOf(names);
          }
          for (String name : requested) {
            services.source(name);
            if (!config.retention().containsKey(name) && !config.rowArchival().containsKey(name)) {
              throw new VigilException(
                  ErrorType.INVALID_CONFIG,
                  "source '"
                      + name
                      + "' has no retention policy or row archival in "
                      + config.file()
                      + "; add sources."
                      + name
                      + ".retention");
            }
          }
          return List.copyOf(new LinkedHashSet<>(requested));
        });
  }

  @Override
  public SourcePlan plan(RetentionPlanRequest request) {
    return Activities.run(() -> doPlan(request));
  }

  private SourcePlan doPlan(RetentionPlanRequest request) {
    SourceConfig source = services.source(request.source());
    RetentionConfig policy = services.config().retention().get(source.name());
    Instant now = Instant.ofEpochMilli(request.nowMillis());
    List<RetentionDecision> decisions = List.of();
    List<CatalogBackup> backups = List.of();
    if (policy != null) {
      backups = catalog.backups(source.name());
      List<RetainedBackup> retained = new ArrayList<>();
      for (CatalogBackup backup : backups) {
        retained.add(retained(backup, policy));
      }
      decisions = resumeHotRemovals(RetentionPolicyEngine.plan(retained, policy, now), backups);
      for (RetentionDecision decision : decisions) {
        log.info(
            "retention {}: {} {} [{}]: {}",
            source.name(),
            decision.action(),
            decision.backupId(),
            String.join(", ", decision.rules()),
            decision.reason());
      }
      if (request.record()) {
        catalog.recordDecisions(request.runId(), decisions);
      }
    }
    List<LocalArtifactDecision> local = List.of();
    if (policy != null
        && source instanceof DirectorySourceConfig directory
        && "model".equals(directory.kind())
        && !policy.checkpointMaxAge().isEmpty()) {
      local = planLocal(directory, policy, now, backups, decisions);
    }
    List<RowMonth> months = new ArrayList<>();
    RowArchivalConfig rows = services.config().rowArchival().get(source.name());
    if (rows != null && source instanceof PostgresSourceConfig postgres) {
      ObjectStore store = services.store(source.repository());
      for (RowArchivalConfig.Table table : rows.tables()) {
        Instant cutoff = now.minus(table.olderThan());
        RowArchiver archiver = archiver(postgres, table);
        archiver
            .pendingMonths(cutoff)
            .forEach(
                (month, count) ->
                    months.add(
                        new RowMonth(
                            source.name(),
                            source.repository(),
                            table.qualifiedName(),
                            month,
                            cutoff.toEpochMilli(),
                            store.key(
                                source.name()
                                    + "/rows/"
                                    + table.qualifiedName()
                                    + "/"
                                    + month
                                    + "/before-"
                                    + BackupIds.timestamp(cutoff.toEpochMilli())
                                    + ".jsonl.vgl"),
                            count)));
      }
    }
    WalExpiry wal = policy == null ? null : planWal(source, decisions);
    // Copies are pruned by the same keep rules, in each copy repository on its own.
    List<String> copyRepositories =
        policy != null && policy.hasKeepRule()
            ? services.config().copiesOf(source.name())
            : List.of();
    return new SourcePlan(
        source.name(), source.kind(), decisions, local, months, wal, copyRepositories);
  }

  /**
   * For a source with physical backups, the WAL that goes once this plan's prunes are done; null
   * for a source without any (no listing of its repository).
   */
  private WalExpiry planWal(SourceConfig source, List<RetentionDecision> decisions) {
    List<PhysicalBackup> physical = catalog.physicalBackups(source.name());
    if (physical.isEmpty()) {
      return null;
    }
    Set<String> pruned = new LinkedHashSet<>();
    decisions.stream()
        .filter(decision -> decision.action() == RetentionAction.PRUNE)
        .forEach(decision -> pruned.add(decision.backupId()));
    List<PhysicalBackup> kept =
        physical.stream()
            .filter(PhysicalBackup::archived)
            .filter(backup -> !pruned.contains(backup.backupId()))
            .toList();
    WalExpiry wal = WalRetention.expired(walChain(source), source.name(), kept).expiry();
    log.info("retention {}: {}", source.name(), wal.summary());
    return wal;
  }

  private WalChain walChain(SourceConfig source) {
    return WalChain.list(
        services.store(source.repository()), source.name(), WalSegment.DEFAULT_SIZE);
  }

  @Override
  public WalExpiry deleteExpiredWal(WalExpiryRequest request) {
    return Activities.run(
        () -> {
          SourceConfig source = services.source(request.source());
          List<PhysicalBackup> kept =
              catalog.physicalBackups(source.name()).stream()
                  .filter(PhysicalBackup::archived)
                  .toList();
          WalRetention.Expired expired =
              WalRetention.expired(walChain(source), source.name(), kept);
          ObjectStore store = services.store(source.repository());
          long deleted = 0;
          // Oldest first: a crash leaves the newest of them, and the next run lists and deletes
          // exactly those; nothing at or after the kept start segment is ever touched.
          for (ListedObject object : expired.objects()) {
            store.delete(object.key());
            deleted++;
            if (deleted % 100 == 0) {
              heartbeat(deleted);
            }
          }
          log.info(
              "retention {} ({}): deleted {}",
              source.name(),
              request.runId(),
              expired.expiry().summary());
          return expired.expiry();
        });
  }

  private static RetainedBackup retained(CatalogBackup backup, RetentionConfig policy) {
    String storageClass = backup.storageClass() == null ? "STANDARD" : backup.storageClass();
    boolean cold =
        backup.archivedColdAt() != null
            || ARCHIVE_CLASSES.contains(storageClass)
            || storageClass.equals(policy.archiveStorageClass());
    return new RetainedBackup(
        backup.backupId(),
        backup.source(),
        backup.status(),
        backup.at(),
        "ARCHIVED".equals(backup.status()),
        storageClass,
        cold,
        backup.storedBytes());
  }

  /**
   * A crash after the catalog took the cold copy but before the hot one was deleted leaves the hot
   * object behind; such a backup is archived again, which only removes the leftover.
   */
  private List<RetentionDecision> resumeHotRemovals(
      List<RetentionDecision> decisions, List<CatalogBackup> backups) {
    Map<String, CatalogBackup> byId = new HashMap<>();
    backups.forEach(backup -> byId.put(backup.backupId(), backup));
    List<RetentionDecision> resumed = new ArrayList<>();
    for (RetentionDecision decision : decisions) {
      CatalogBackup backup = byId.get(decision.backupId());
      if (decision.action() == RetentionAction.KEEP
          && backup != null
          && backup.archivedColdAt() != null
          && backup.hotObjectKey() != null
          && !backup.hotObjectKey().equals(backup.objectKey())
          && services.store(backup.repository()).head(backup.hotObjectKey()).isPresent()) {
        List<String> rules = new ArrayList<>(decision.rules());
        rules.add("resume-archive");
        decision =
            new RetentionDecision(
                decision.backupId(),
                decision.source(),
                decision.status(),
                decision.consistentAtMillis(),
                backup.storageClass(),
                decision.storedBytes(),
                RetentionAction.ARCHIVE,
                List.copyOf(rules),
                decision.reason()
                    + "; its hot copy "
                    + backup.hotObjectKey()
                    + " outlived an interrupted archive and is removed");
      }
      resumed.add(decision);
    }
    return resumed;
  }

  private List<LocalArtifactDecision> planLocal(
      DirectorySourceConfig directory,
      RetentionConfig policy,
      Instant now,
      List<CatalogBackup> backups,
      List<RetentionDecision> decisions) {
    List<LocalArtifact> artifacts;
    try {
      artifacts = LocalArtifacts.scan(directory.path());
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SOURCE_NOT_FOUND,
          "source '"
              + directory.name()
              + "': cannot scan "
              + directory.path()
              + " for checkpoints: "
              + e.getMessage(),
          e);
    }
    // Only backups that stay after this run can vouch for a local copy.
    Set<String> pruned = new LinkedHashSet<>();
    decisions.stream()
        .filter(decision -> decision.action() == RetentionAction.PRUNE)
        .forEach(decision -> pruned.add(decision.backupId()));
    List<CatalogBackup> vouchers =
        backups.stream()
            .filter(backup -> "ARCHIVED".equals(backup.status()))
            .filter(backup -> !pruned.contains(backup.backupId()))
            .filter(backup -> backup.manifestKey() != null)
            .toList();
    Map<String, Map<String, ManifestFiles.Entry>> manifests = new HashMap<>();
    Map<String, String> hashes = new HashMap<>();
    List<LocalArtifactDecision> result = new ArrayList<>();
    for (LocalArtifact artifact : artifacts) {
      Duration limit = policy.checkpointMaxAge().get(artifact.type());
      Duration age = Duration.between(artifact.modifiedAt(), now);
      String ageText = Durations.format(age.isNegative() ? Duration.ZERO : age) + " old";
      if (limit == null || age.compareTo(limit) <= 0) {
        String why =
            limit == null
                ? artifact.type() + " artifacts are kept forever"
                : ageText + ", within the " + artifact.type() + " limit " + Durations.format(limit);
        result.add(local(directory, artifact, false, null, why));
        continue;
      }
      String covering = null;
      for (CatalogBackup backup : vouchers) {
        Map<String, ManifestFiles.Entry> files =
            manifests.computeIfAbsent(
                backup.backupId(),
                id ->
                    ManifestFiles.load(
                        services.store(backup.repository()),
                        backup.manifestKey(),
                        services.manifests()));
        if (covers(directory.path(), artifact, files, hashes)) {
          covering = backup.backupId();
          break;
        }
      }
      String base = ageText + ", past the " + artifact.type() + " limit " + Durations.format(limit);
      result.add(
          covering == null
              ? local(
                  directory,
                  artifact,
                  false,
                  null,
                  base + "; kept: no verified backup holds all its files unchanged yet")
              : local(
                  directory,
                  artifact,
                  true,
                  covering,
                  base + "; verified backup " + covering + " holds every file"));
    }
    return result;
  }

  private static LocalArtifactDecision local(
      DirectorySourceConfig directory,
      LocalArtifact artifact,
      boolean remove,
      String backupId,
      String reason) {
    return new LocalArtifactDecision(
        directory.name(),
        artifact.path(),
        artifact.type(),
        artifact.modifiedAt().toEpochMilli(),
        artifact.files().size(),
        artifact.bytes(),
        remove,
        backupId,
        reason);
  }

  /** Whether every file of the artifact is in the manifest with the same size and SHA-256. */
  private static boolean covers(
      Path root,
      LocalArtifact artifact,
      Map<String, ManifestFiles.Entry> manifest,
      Map<String, String> hashes) {
    for (Map.Entry<String, Long> file : artifact.files().entrySet()) {
      ManifestFiles.Entry entry = manifest.get(file.getKey());
      if (entry == null || entry.size() != file.getValue()) {
        return false;
      }
    }
    for (String path : artifact.files().keySet()) {
      String hash = hashes.computeIfAbsent(path, p -> sha256(root.resolve(p)));
      if (!hash.equals(manifest.get(path).sha256())) {
        return false;
      }
    }
    return true;
  }

  private static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      return Digests.sha256Hex(in);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SOURCE_NOT_FOUND, "cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public ColdCopy copyToCold(ActionRequest request) {
    return Activities.run(
        () -> {
          CatalogBackup backup = archived(request.backupId());
          ObjectStore store = services.store(backup.repository());
          if (backup.archivedColdAt() != null) {
            // The catalog took the cold copy already; the later steps finish what is left.
            return coldCopy(request, backup, backup.hotObjectKey(), backup.objectKey(), null);
          }
          String hotKey = backup.objectKey();
          String coldKey = coldKey(hotKey);
          Optional<StoredObject> existing = store.head(coldKey);
          String checksum = null;
          if (existing.isPresent()
              && existing.get().size() == backup.storedBytes()
              && request.storageClass().equals(existing.get().storageClass())) {
            log.info("cold copy {} of {} exists already", coldKey, backup.backupId());
          } else {
            if (store.head(hotKey).isEmpty()) {
              throw new VigilException(
                  ErrorType.OBJECT_CORRUPT,
                  "backup "
                      + backup.backupId()
                      + ": its object s3://"
                      + store.bucket()
                      + "/"
                      + hotKey
                      + " is missing; the catalog and the store disagree, check the bucket");
            }
            heartbeat("copy " + hotKey);
            CopyOutcome outcome = store.copy(hotKey, coldKey, request.storageClass());
            checksum = outcome.checksumSha256();
          }
          return coldCopy(request, backup, hotKey, coldKey, checksum);
        });
  }

  private static ColdCopy coldCopy(
      ActionRequest request, CatalogBackup backup, String hotKey, String coldKey, String checksum) {
    return new ColdCopy(
        request.runId(),
        backup.backupId(),
        backup.source(),
        backup.repository(),
        hotKey,
        coldKey,
        request.storageClass() != null ? request.storageClass() : backup.storageClass(),
        backup.storedBytes(),
        backup.sha256(),
        checksum);
  }

  /** {@code …/<backup-id>/data.vgl} → {@code …/<backup-id>/cold/data.vgl}. */
  public static String coldKey(String hotKey) {
    int slash = hotKey.lastIndexOf('/');
    return hotKey.substring(0, slash + 1) + "cold/" + hotKey.substring(slash + 1);
  }

  @Override
  public void verifyColdCopy(ColdCopy copy) {
    Activities.run(
        () -> {
          ObjectStore store = services.store(copy.repository());
          StoredObject head =
              store
                  .head(copy.coldKey())
                  .orElseThrow(() -> corrupt(store, copy, "is missing after the copy"));
          if (head.size() != copy.size()) {
            throw corrupt(store, copy, "has " + head.size() + " bytes, not " + copy.size());
          }
          if (!copy.storageClass().equals(head.storageClass())) {
            throw corrupt(
                store,
                copy,
                "is in storage class " + head.storageClass() + ", not " + copy.storageClass());
          }
          String recorded = head.metadata().get("vigil-sha256");
          if (recorded != null && !recorded.equals(copy.sha256())) {
            throw corrupt(store, copy, "carries SHA-256 " + recorded + ", not " + copy.sha256());
          }
          // A composite checksum ("<base64>-<parts>") is not the object's SHA-256; read back then.
          if (copy.copyChecksum() != null && !copy.copyChecksum().contains("-")) {
            String hex = HexFormat.of().formatHex(Base64.getDecoder().decode(copy.copyChecksum()));
            if (!hex.equals(copy.sha256())) {
              throw corrupt(store, copy, "was hashed by the store as " + hex);
            }
            return;
          }
          // No checksum from the store: read the copy back (possible for every class the store
          // serves directly, and for archive classes on stores without a restore API).
          String actual = readBackSha256(store, copy.coldKey(), copy.size());
          if (!actual.equals(copy.sha256())) {
            throw corrupt(store, copy, "reads back with SHA-256 " + actual);
          }
        });
  }

  private static VigilException corrupt(ObjectStore store, ColdCopy copy, String what) {
    return new VigilException(
        ErrorType.OBJECT_CORRUPT,
        "cold copy s3://"
            + store.bucket()
            + "/"
            + copy.coldKey()
            + " of backup "
            + copy.backupId()
            + " "
            + what
            + "; the hot copy stays, delete the cold copy and run retention again");
  }

  @Override
  public void recordColdCopy(ColdCopy copy) {
    Activities.run(
        () ->
            catalog.recordColdCopy(
                copy.backupId(), copy.hotKey(), copy.coldKey(), copy.storageClass()));
  }

  @Override
  public void removeHotCopy(ColdCopy copy) {
    Activities.run(
        () -> {
          CatalogBackup backup = archived(copy.backupId());
          ObjectStore store = services.store(copy.repository());
          if (!copy.coldKey().equals(backup.objectKey()) || backup.archivedColdAt() == null) {
            throw new VigilException(
                ErrorType.CATALOG_CONFLICT,
                "backup "
                    + copy.backupId()
                    + ": the catalog does not point at the cold copy "
                    + copy.coldKey()
                    + "; the hot copy stays");
          }
          if (store.head(copy.coldKey()).isEmpty()) {
            throw corrupt(store, copy, "is missing");
          }
          if (!copy.hotKey().equals(copy.coldKey()) && store.head(copy.hotKey()).isPresent()) {
            store.delete(copy.hotKey());
            metrics.archived(backup.source(), backup.kind(), backup.storedBytes());
            log.info(
                "archived backup {} of {} to {} at {}: removed hot copy {}",
                backup.backupId(),
                backup.source(),
                copy.storageClass(),
                copy.coldKey(),
                copy.hotKey());
          }
          catalog.markDecisionApplied(copy.runId(), copy.backupId());
        });
  }

  @Override
  public void beginPrune(ActionRequest request) {
    Activities.run(() -> catalog.beginPrune(request.backupId(), request.reason()));
  }

  @Override
  public void deletePrunedObjects(ActionRequest request) {
    Activities.run(
        () -> {
          CatalogBackup backup =
              catalog
                  .find(request.backupId())
                  .orElseThrow(
                      () ->
                          new VigilException(
                              ErrorType.BACKUP_NOT_FOUND, "no backup " + request.backupId()));
          if (!backup.status().equals("PRUNING") && !backup.status().equals("PRUNED")) {
            throw new VigilException(
                ErrorType.CATALOG_CONFLICT,
                "backup "
                    + backup.backupId()
                    + " is "
                    + backup.status()
                    + ", not PRUNING; its objects stay");
          }
          ObjectStore store = services.store(backup.repository());
          Set<String> keys = new LinkedHashSet<>();
          for (String key :
              new String[] {backup.objectKey(), backup.hotObjectKey(), backup.manifestKey()}) {
            if (key != null) {
              keys.add(key);
            }
          }
          for (String key : keys) {
            store.delete(key);
          }
          // A chunked source's packs that no kept backup needs any more go with it (none for
          // other sources): run on every attempt, so a crash mid-sweep is finished by the retry.
          PackSweeper.sweep(
              new ChunkCatalog(services.catalogDataSource()),
              store,
              backup.repository(),
              backup.source());
          log.info(
              "pruned backup {} of {}: deleted {} ({})",
              backup.backupId(),
              backup.source(),
              keys,
              request.reason());
        });
  }

  @Override
  public void markPruned(ActionRequest request) {
    Activities.run(
        () -> {
          CatalogBackup backup =
              catalog
                  .find(request.backupId())
                  .orElseThrow(
                      () ->
                          new VigilException(
                              ErrorType.BACKUP_NOT_FOUND, "no backup " + request.backupId()));
          boolean first = !backup.status().equals("PRUNED");
          catalog.markPruned(request.backupId());
          if (first) {
            metrics.pruned(backup.source(), backup.kind(), backup.storedBytes());
          }
          catalog.markDecisionApplied(request.runId(), request.backupId());
        });
  }

  @Override
  public void removeLocalArtifact(LocalArtifactDecision decision) {
    Activities.run(
        () -> {
          SourceConfig source = services.source(decision.source());
          if (!(source instanceof DirectorySourceConfig directory)) {
            throw new VigilException(
                ErrorType.INVALID_CONFIG,
                "source '" + decision.source() + "' is not a directory; nothing to remove");
          }
          Path root = directory.path().toAbsolutePath().normalize();
          Path dir = root.resolve(decision.path()).normalize();
          if (!dir.startsWith(root) || dir.equals(root)) {
            throw new VigilException(
                ErrorType.UNSAFE_ARCHIVE_ENTRY,
                "local artifact '" + decision.path() + "' is outside " + root + "; not removed");
          }
          if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
          }
          // Confirm again at the moment of removal: files may have changed since the plan.
          CatalogBackup backup = archived(decision.backupId());
          Map<String, ManifestFiles.Entry> manifest =
              ManifestFiles.load(
                  services.store(backup.repository()), backup.manifestKey(), services.manifests());
          LocalArtifact now = rescan(root, dir, decision.type());
          if (!covers(root, now, manifest, new HashMap<>())) {
            throw new VigilException(
                ErrorType.VALIDATION_FAILED,
                "local "
                    + decision.type()
                    + " "
                    + dir
                    + " changed since backup "
                    + backup.backupId()
                    + "; kept until a backup holds it");
          }
          deleteTree(dir);
          metrics.localArtifactRemoved(decision.source(), decision.type());
          log.info(
              "removed local {} {} of {} ({} files, {} bytes): {}",
              decision.type(),
              dir,
              decision.source(),
              now.files().size(),
              now.bytes(),
              decision.reason());
        });
  }

  private static LocalArtifact rescan(Path root, Path dir, String type) {
    List<LocalArtifact> artifacts;
    try {
      artifacts = LocalArtifacts.scan(root);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SOURCE_NOT_FOUND, "cannot scan " + dir + ": " + e.getMessage(), e);
    }
    return artifacts.stream()
        .filter(artifact -> root.resolve(artifact.path()).normalize().equals(dir))
        .findFirst()
        .orElseThrow(
            () ->
                new VigilException(
                    ErrorType.VALIDATION_FAILED,
                    dir + " is no longer a " + type + " artifact; not removed"));
  }

  private static void deleteTree(Path dir) {
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SOURCE_NOT_FOUND, "cannot remove " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public RowArchiveFile writeRowArchive(RowMonth month) {
    return Activities.run(
        () -> {
          ObjectStore store = services.store(month.repository());
          Optional<RowArchiveFile> existing = RowArchiver.existing(month, store);
          if (existing.isPresent()) {
            // An earlier attempt uploaded it; the verify step decides whether it is good.
            return existing.get();
          }
          RowArchiver archiver = archiver(month);
          Path work = workDir("rows-");
          try {
            return archiver.write(
                month,
                store,
                services.sealer(),
                services.config().repositories().get(month.repository()).storageClass(),
                work,
                RetentionActivitiesImpl::heartbeat);
          } catch (IOException e) {
            throw new VigilException(
                ErrorType.SPOOL_MISSING,
                "rows of " + month.table() + " " + month.month() + ": " + e.getMessage(),
                e);
          } finally {
            deleteQuietly(work);
          }
        });
  }

  @Override
  public void verifyRowArchive(RowArchiveFile file) {
    Activities.run(
        () -> {
          if (file.rows() == 0) {
            return;
          }
          ObjectStore store = services.store(file.month().repository());
          String actual = readBackSha256(store, file.objectKey(), file.storedBytes());
          if (!actual.equals(file.sha256())) {
            // A bad file must not stay where a later attempt would trust it.
            store.delete(file.objectKey());
            throw new VigilException(
                ErrorType.OBJECT_CORRUPT,
                "row archive s3://"
                    + store.bucket()
                    + "/"
                    + file.objectKey()
                    + " reads back with SHA-256 "
                    + actual
                    + ", not "
                    + file.sha256()
                    + "; deleted it, no row was marked; run retention again");
          }
          catalog.recordRowArchive(file);
        });
  }

  @Override
  public long markRowsArchived(RowArchiveFile file) {
    return Activities.run(
        () -> {
          if (file.rows() == 0) {
            return 0L;
          }
          if (!catalog.rowArchiveVerified(file.objectKey(), file.sha256())) {
            throw new VigilException(
                ErrorType.CATALOG_CONFLICT,
                "row archive " + file.objectKey() + " was not verified; its rows are not marked");
          }
          ObjectStore store = services.store(file.month().repository());
          Path work = workDir("mark-");
          try {
            long[] marked =
                archiver(file.month())
                    .mark(file, store, services.sealer(), work, RetentionActivitiesImpl::heartbeat);
            catalog.markRowArchiveMarked(file.objectKey());
            metrics.rowsArchived(file.month().source(), file.month().table(), marked[0]);
            log.info(
                "archived {} rows of {} ({}) to s3://{}/{}",
                marked[1],
                file.month().table(),
                file.month().month(),
                file.bucket(),
                file.objectKey());
            return marked[1];
          } catch (IOException e) {
            throw new VigilException(
                ErrorType.REPOSITORY_UNAVAILABLE,
                "reading row archive " + file.objectKey() + ": " + e.getMessage(),
                e);
          } finally {
            deleteQuietly(work);
          }
        });
  }

  private RowArchiver archiver(RowMonth month) {
    SourceConfig source = services.source(month.source());
    RowArchivalConfig rows = services.config().rowArchival().get(month.source());
    if (!(source instanceof PostgresSourceConfig postgres) || rows == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "source '" + month.source() + "' has no archive-rows in " + services.config().file());
    }
    RowArchivalConfig.Table table =
        rows.tables().stream()
            .filter(t -> t.qualifiedName().equals(month.table()))
            .findFirst()
            .orElseThrow(
                () ->
                    new VigilException(
                        ErrorType.INVALID_CONFIG,
                        "source '"
                            + month.source()
                            + "' does not archive rows of "
                            + month.table()
                            + " any more"));
    return archiver(postgres, table);
  }

  private RowArchiver archiver(PostgresSourceConfig source, RowArchivalConfig.Table table) {
    String password = services.secret(source.password(), "source '" + source.name() + "'");
    return new RowArchiver(source, password, table);
  }

  @Override
  public RehydrateTarget locateForRehydrate(RehydrateRequest request) {
    return Activities.run(
        () -> {
          List<CatalogBackup> backups = catalog.backups(request.source());
          CatalogBackup backup =
              backups.stream()
                  .filter(b -> "ARCHIVED".equals(b.status()))
                  .filter(
                      b -> request.backupId() == null || b.backupId().equals(request.backupId()))
                  .findFirst()
                  .orElseThrow(
                      () ->
                          new VigilException(
                              ErrorType.BACKUP_NOT_FOUND,
                              request.backupId() == null
                                  ? "source '"
                                      + request.source()
                                      + "' has no verified backup to rehydrate"
                                  : "no verified backup "
                                      + request.backupId()
                                      + " of source '"
                                      + request.source()
                                      + "'; list them with the catalog"));
          checkTarget(Path.of(request.targetDir()));
          String storageClass = backup.storageClass() == null ? "STANDARD" : backup.storageClass();
          return new RehydrateTarget(
              backup.backupId(),
              backup.source(),
              backup.repository(),
              backup.objectKey(),
              storageClass,
              ARCHIVE_CLASSES.contains(storageClass),
              backup.storedBytes(),
              backup.sha256());
        });
  }

  /**
   * A rehydration writes into a directory like a restore: only under the worker's restore roots
   * (checked on the real path, so no request can aim it at {@code /etc}), and only when empty.
   */
  private void checkTarget(Path requested) {
    Path target = RestoreRoots.of(services.config().worker()).check(requested.toString());
    if (!Files.exists(target)) {
      return;
    }
    try (Stream<Path> entries = Files.list(target)) {
      if (entries.findAny().isPresent()) {
        throw new VigilException(
            ErrorType.TARGET_NOT_EMPTY,
            "rehydrate target " + target + " is not empty; pick an empty or new directory");
      }
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.TARGET_NOT_EMPTY, "cannot read rehydrate target " + target + ": " + e, e);
    }
  }

  @Override
  public boolean requestColdRestore(RehydrateTarget target, int days) {
    return Activities.run(
        () -> {
          ObjectStore store = services.store(target.repository());
          ColdRestoreState state = restorer.request(store, target.objectKey(), days);
          log.info(
              "restore of {} ({}) requested for {} days: {}",
              target.objectKey(),
              target.storageClass(),
              days,
              state);
          return switch (state) {
            case READABLE -> true;
            case UNSUPPORTED -> readableByProbe(store, target);
            default -> false;
          };
        });
  }

  @Override
  public boolean objectReadable(RehydrateTarget target) {
    return Activities.run(
        () -> {
          ObjectStore store = services.store(target.repository());
          return switch (restorer.state(store, target.objectKey())) {
            case READABLE -> true;
            case IN_PROGRESS -> false;
            default -> readableByProbe(store, target);
          };
        });
  }

  /** Reads the last byte: S3 refuses archived objects with InvalidObjectState. */
  private static boolean readableByProbe(ObjectStore store, RehydrateTarget target) {
    try (InputStream in = store.open(target.objectKey(), Math.max(0, target.size() - 1))) {
      in.read();
      return true;
    } catch (VigilException e) {
      if (e.getCause() instanceof S3Exception s3
          && s3.awsErrorDetails() != null
          && "InvalidObjectState".equals(s3.awsErrorDetails().errorCode())) {
        return false;
      }
      throw e;
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.REPOSITORY_UNAVAILABLE,
          "cannot read " + target.objectKey() + ": " + e.getMessage(),
          e);
    }
  }

  @Override
  public ExtractResult extract(RehydrateTarget target, String targetDir) {
    return Activities.run(
        () -> {
          Path dir = Path.of(targetDir);
          checkTarget(dir);
          ObjectStore store = services.store(target.repository());
          Path work = workDir("rehydrate-");
          try {
            Path sealed = work.resolve("data.vgl");
            String actual =
                new BackupDownloader()
                    .download(
                        store,
                        target.objectKey(),
                        sealed,
                        target.size(),
                        null,
                        RetentionActivitiesImpl::heartbeat)
                    .sha256();
            if (!actual.equals(target.sha256()) || Files.size(sealed) != target.size()) {
              throw new VigilException(
                  ErrorType.OBJECT_CORRUPT,
                  "object s3://"
                      + store.bucket()
                      + "/"
                      + target.objectKey()
                      + " of backup "
                      + target.backupId()
                      + " has SHA-256 "
                      + actual
                      + ", the catalog says "
                      + target.sha256()
                      + "; restore another backup with --backup");
            }
            Path raw = work.resolve("raw");
            SourceRef ref = new SourceRef(target.source(), null, null, target.repository());
            try (InputStream in = Files.newInputStream(sealed);
                OutputStream out = Files.newOutputStream(raw)) {
              services
                  .sealer()
                  .unseal(in, out, SpoolActivitiesImpl.aeadContext(target.backupId(), ref));
            }
            Files.delete(sealed);
            // The restore's extraction and staging: checked on real paths, moved in whole.
            StagedDirectory staged = new StagedDirectory(dir.toAbsolutePath(), target.backupId());
            long[] written;
            try {
              staged.recover();
              checkTarget(dir);
              Path staging = staged.create();
              if (isTar(raw)) {
                try (InputStream in = Files.newInputStream(raw)) {
                  SafeTarExtractor.Extracted extracted =
                      SafeTarExtractor.extract(
                          in, staging, SafeTarExtractor.NO_CHECKS, bytes -> heartbeat(bytes));
                  written = new long[] {extracted.files(), extracted.bytes()};
                }
              } else if (SnapshotCodec.isSnapshot(raw)) {
                // A chunked directory backup: its tree out of its packs, through the same checks.
                Snapshot snapshot = SnapshotCodec.read(raw);
                String what = "backup '" + target.backupId() + "'";
                ChunkCrypto crypto =
                    new ChunkCrypto(services.keys().require(snapshot.keyId(), what));
                Path scratch = Files.createDirectories(work.resolve("packs"));
                try (ChunkReader reader = new ChunkReader(store, crypto, snapshot, scratch, what);
                    InputStream in = SnapshotTar.open(snapshot, reader)) {
                  SafeTarExtractor.Extracted extracted =
                      SafeTarExtractor.extract(
                          in, staging, SafeTarExtractor.NO_CHECKS, bytes -> heartbeat(bytes));
                  written = new long[] {extracted.files(), extracted.bytes()};
                }
              } else {
                // A database dump: handed over as the pg_restore input it is.
                long size = Files.size(raw);
                Files.move(raw, staging.resolve("dump.pgc"));
                written = new long[] {1, size};
              }
              staged.install();
            } catch (IOException | RuntimeException e) {
              staged.discard();
              throw e;
            }
            metrics.rehydrated(target.source(), target.cold());
            log.info(
                "rehydrated backup {} of {} into {}: {} files, {} bytes",
                target.backupId(),
                target.source(),
                dir,
                written[0],
                written[1]);
            return new ExtractResult(written[0], written[1]);
          } catch (IOException e) {
            throw new VigilException(
                ErrorType.RESTORE_FAILED,
                "rehydrating backup " + target.backupId() + " into " + dir + ": " + e.getMessage(),
                e);
          } finally {
            deleteQuietly(work);
          }
        });
  }

  /** A POSIX tar has "ustar" at offset 257; a pg_dump custom file starts with "PGDMP". */
  private static boolean isTar(Path raw) throws IOException {
    try (InputStream in = Files.newInputStream(raw)) {
      byte[] header = in.readNBytes(262);
      return header.length >= 262
          && new String(header, 257, 5, StandardCharsets.US_ASCII).equals("ustar");
    }
  }

  private CatalogBackup archived(String backupId) {
    CatalogBackup backup =
        catalog
            .find(backupId)
            .orElseThrow(
                () -> new VigilException(ErrorType.BACKUP_NOT_FOUND, "no backup " + backupId));
    if (!"ARCHIVED".equals(backup.status())) {
      throw new VigilException(
          ErrorType.CATALOG_CONFLICT,
          "backup " + backupId + " is " + backup.status() + ", not ARCHIVED; left as it is");
    }
    return backup;
  }

  private static String readBackSha256(ObjectStore store, String key, long expectedSize) {
    Digests.Summary stored;
    try (InputStream in = store.open(key)) {
      stored = Digests.summarize(in, RetentionActivitiesImpl::heartbeat);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.REPOSITORY_UNAVAILABLE,
          "reading s3://" + store.bucket() + "/" + key + " back failed: " + e.getMessage(),
          e);
    }
    if (stored.size() != expectedSize) {
      return "size " + stored.size() + " (expected " + expectedSize + ")";
    }
    return stored.sha256();
  }

  private Path workDir(String prefix) {
    try {
      Path root = Files.createDirectories(services.spool().root());
      return Files.createTempDirectory(root, prefix);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING,
          "cannot create a work directory in " + services.spool().root() + ": " + e,
          e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      log.debug("work directory {} left behind: {}", dir, e.getMessage());
    }
  }

  private static void heartbeat(Object progress) {
    Activity.getExecutionContext().heartbeat(progress);
  }
}
