package dev.vigil.activities.restore;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.Activities;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.copy.CopyCatalog;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.copy.CopyTask;
import dev.vigil.workflows.restore.RestoreActivities;
import dev.vigil.workflows.restore.RestoreRecord;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.SelectedBackup;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restore steps any worker can run: choosing the backup (and the repository to read it from) and
 * recording the outcome.
 */
public final class RestoreActivitiesImpl implements RestoreActivities {
  private static final Logger log = LoggerFactory.getLogger(RestoreActivitiesImpl.class);

  private final RestoreCatalog catalog;

  /** Null without a worker's services (catalog-only tests): no repository is probed. */
  private final VigilServices services;

  private final CopyCatalog copies;

  public RestoreActivitiesImpl(VigilServices services) {
    this.catalog = new RestoreCatalog(services.catalogDataSource());
    this.services = services;
    this.copies = new CopyCatalog(services.catalogDataSource());
  }

  public RestoreActivitiesImpl(RestoreCatalog catalog) {
    this.catalog = catalog;
    this.services = null;
    this.copies = null;
  }

  @Override
  public SelectedBackup selectBackup(RestoreSelector selector) {
    return Activities.run(
        () -> {
          String requested = selector.repository();
          if (requested != null && !requested.isBlank()) {
            return fromRepository(selector, requested);
          }
          return withFallback(catalog.select(selector));
        });
  }

  /** Reads from the named repository only: the primary, or a verified copy there. */
  private SelectedBackup fromRepository(RestoreSelector selector, String requested) {
    if (services != null && !services.config().repositories().containsKey(requested)) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "no repository '"
              + requested
              + "' in "
              + services.config().file()
              + "; known: "
              + services.config().repositories().keySet());
    }
    try {
      SelectedBackup primary = catalog.select(selector);
      if (requested.equals(primary.source().repository())) {
        return primary;
      }
    } catch (VigilException e) {
      // Pruned (or never archived) in the primary: a copy may still hold it.
      if (e.type() != ErrorType.BACKUP_NOT_FOUND) {
        throw e;
      }
    }
    return catalog.selectCopy(selector, requested);
  }

  /**
   * The primary if it can be read; when its repository cannot be reached (REPOSITORY_UNAVAILABLE,
   * REPOSITORY_NOT_FOUND) or the object is gone from it, the first verified copy that is there,
   * with a note saying so. Backups without a verified copy are returned as they are (no probe).
   */
  private SelectedBackup withFallback(SelectedBackup selected) {
    if (services == null) {
      return selected;
    }
    List<CopyCatalog.StoredCopy> verified =
        copies.copiesOf(CopyTask.BACKUP, selected.backupId()).stream()
            .filter(copy -> "VERIFIED".equals(copy.state()))
            .toList();
    if (verified.isEmpty()) {
      return selected;
    }
    String primary = selected.source().repository();
    Optional<String> problem = unreadable(services.store(primary), selected.objectKey());
    if (problem.isEmpty()) {
      return selected;
    }
    for (CopyCatalog.StoredCopy copy : verified) {
      if (!services.config().repositories().containsKey(copy.repository())) {
        continue;
      }
      Optional<String> copyProblem =
          unreadable(services.store(copy.repository()), copy.objectKey());
      if (copyProblem.isEmpty()) {
        String note =
            "primary repository '"
                + primary
                + "' cannot be read ("
                + problem.get()
                + "); reading the verified copy in repository '"
                + copy.repository()
                + "'";
        log.warn("backup {}: {}", selected.backupId(), note);
        return selected.readFrom(copy.repository(), copy.bucket(), note);
      }
      log.warn(
          "backup {}: the copy in repository '{}' cannot be read either: {}",
          selected.backupId(),
          copy.repository(),
          copyProblem.get());
    }
    return selected;
  }

  /** Why the object cannot be read from {@code store}, or empty if it is there. */
  private static Optional<String> unreadable(ObjectStore store, String key) {
    try {
      return store.head(key).isPresent()
          ? Optional.empty()
          : Optional.of("object '" + key + "' is missing from bucket '" + store.bucket() + "'");
    } catch (VigilException e) {
      if (e.type() == ErrorType.REPOSITORY_UNAVAILABLE
          || e.type() == ErrorType.REPOSITORY_NOT_FOUND) {
        return Optional.of(e.getMessage());
      }
      throw e;
    }
  }

  @Override
  public void recordRestore(RestoreRecord record) {
    Activities.run(() -> catalog.record(record));
    log.info(
        "restore {} of backup {}: {}{}",
        record.restoreId(),
        record.backupId(),
        record.status(),
        record.failure() == null ? "" : " (" + record.failure() + ")");
  }
}
