package dev.vigil.activities.restore;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.common.Activities;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.copy.CopyCatalog;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.copy.CopyTask;
import dev.vigil.workflows.restore.RestoreActivities;
import dev.vigil.workflows.restore.RestoreRecord;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.SelectedBackup;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restore steps any worker can run: choosing the backup (and the repository to read it from) and
 * recording the outcome.
 */
public final class RestoreActivitiesImpl implements RestoreActivities {
  private static final Logger log = LoggerFactory.getLogger(RestoreActivitiesImpl.class);

  /** How long the primary (or a copy) may take to answer the HEAD that decides a fallback. */
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(20);

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

  /**
   * Why the object cannot be read from {@code store}, or empty if it is there. A store that takes
   * longer than {@link #PROBE_TIMEOUT} to answer (a host that accepts connections and never
   * replies) counts as unreachable: the SDK alone would retry it for minutes.
   */
  private static Optional<String> unreadable(ObjectStore store, String key) {
    // A thread of its own: a probe left hanging must not hold a shared pool's only thread.
    CompletableFuture<Optional<StoredObject>> head =
        CompletableFuture.supplyAsync(
            () -> store.head(key),
            probe -> {
              Thread thread = new Thread(probe, "vigil-probe-" + store.repository());
              thread.setDaemon(true);
              thread.start();
            });
    try {
      return head.get(PROBE_TIMEOUT.toSeconds(), TimeUnit.SECONDS).isPresent()
          ? Optional.empty()
          : Optional.of("object '" + key + "' is missing from bucket '" + store.bucket() + "'");
    } catch (TimeoutException e) {
      head.cancel(true);
      return Optional.of(
          "repository '"
              + store.repository()
              + "' did not answer a HEAD of '"
              + key
              + "' within "
              + PROBE_TIMEOUT.toSeconds()
              + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VigilException(ErrorType.REPOSITORY_UNAVAILABLE, "interrupted probing " + key);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof VigilException failure
          && (failure.type() == ErrorType.REPOSITORY_UNAVAILABLE
              || failure.type() == ErrorType.REPOSITORY_NOT_FOUND)) {
        return Optional.of(failure.getMessage());
      }
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure;
      }
      throw new IllegalStateException(e.getCause());
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
