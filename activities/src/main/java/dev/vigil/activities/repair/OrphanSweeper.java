package dev.vigil.activities.repair;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.catalog.Catalog;
import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.drill.DrillActivitiesImpl;
import dev.vigil.activities.drill.DrillEnvironments;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.OpenUpload;
import dev.vigil.workflows.backup.FailRequest;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds and resolves what lost runs left behind: backups the catalog shows RUNNING whose workflow
 * Temporal no longer runs, their objects and incomplete uploads in the store, and spool directories
 * of this host that no running backup or open run owns.
 *
 * <p>A backup whose workflow is open is never touched: it goes on when a worker polls its queues.
 * An orphan's objects are deleted and its uploads aborted before it is marked FAILED, so a sweep
 * cut short leaves it RUNNING and the next sweep finishes the job. Only directories whose name is a
 * backup id or a restore's workflow id are removed, and drill environments whose drill's run is not
 * open are torn down (their cluster stopped); anything else in the spool (retention scratch
 * directories, the fresh clusters finished restores made for their users) is left alone.
 */
public final class OrphanSweeper {
  /** The step recorded on an orphan's failure. */
  public static final String STEP = "orphaned";

  /** Restore spool directories are named after the restore's workflow id (manual or a drill's). */
  private static final Pattern RESTORE_ID = Pattern.compile("(restore-|drill-.+-restore-).+");

  /** A drill's environment is named after the drill's workflow id. */
  private static final Pattern DRILL_ID = Pattern.compile("drill-[A-Za-z0-9-]+");

  private final Catalog catalog;
  private final Function<String, ObjectStore> stores;
  private final Spool spool;
  private final RunStates runs;
  private final DrillEnvironments drills;
  private final String resolvedBy;

  /**
   * @param catalog the backup catalog
   * @param stores the object store of a repository name; throws if the config has none
   * @param spool this host's spool
   * @param runs what Temporal says of a workflow id
   * @param drills this host's drill environments
   * @param resolvedBy who resolves, for the recorded reason ({@code vigil repair}, {@code worker
   *     start on host h1})
   */
  public OrphanSweeper(
      Catalog catalog,
      Function<String, ObjectStore> stores,
      Spool spool,
      RunStates runs,
      DrillEnvironments drills,
      String resolvedBy) {
    this.catalog = catalog;
    this.stores = stores;
    this.spool = spool;
    this.runs = runs;
    this.drills = drills;
    this.resolvedBy = resolvedBy;
  }

  /** A sweeper over a worker's services. */
  public static OrphanSweeper of(VigilServices services, RunStates runs, String resolvedBy) {
    return new OrphanSweeper(
        services.catalog(),
        services::store,
        services.spool(),
        runs,
        new DrillEnvironments(
            services.config().worker().spoolDir().resolve(DrillActivitiesImpl.ENVIRONMENTS)),
        resolvedBy);
  }

  /** Sweeps once; with {@code dryRun} only reports what it would do. */
  public SweepReport sweep(boolean dryRun) {
    return sweep(dryRun, workflowId -> true);
  }

  /**
   * Sweeps what the runs with the given workflow ids left, and nothing else: their backups, their
   * spool directories and drill environments (what {@code vigil cancel --terminate} resolves).
   */
  public SweepReport sweepRuns(Set<String> workflowIds) {
    return sweep(false, workflowIds::contains);
  }

  private SweepReport sweep(boolean dryRun, Predicate<String> inScope) {
    List<String> lines = new ArrayList<>();
    Set<String> owned = new HashSet<>();
    int resolved = 0;
    int unresolved = 0;
    int running = 0;
    for (BackupRecord backup : catalog.running()) {
      if (!inScope.test(backup.workflowId())) {
        continue;
      }
      RunState state =
          backup.workflowId() == null ? RunState.UNKNOWN : runs.of(backup.workflowId());
      if (state == RunState.OPEN) {
        owned.add(backup.backupId());
        running++;
        continue;
      }
      try {
        lines.add(resolve(backup, state, dryRun));
        resolved++;
      } catch (VigilException e) {
        owned.add(backup.backupId());
        lines.add("could not resolve " + backup.backupId() + ": " + e.getMessage());
        unresolved++;
      }
    }
    int spoolRemoved = 0;
    for (Path dir : staleSpoolDirectories(owned, inScope)) {
      try {
        if (!dryRun) {
          delete(dir);
        }
        lines.add((dryRun ? "would remove" : "removed") + " stale spool directory " + dir);
        spoolRemoved++;
      } catch (VigilException e) {
        lines.add(e.getMessage());
        unresolved++;
      }
    }
    for (String drillId : leftDrills(inScope)) {
      Path scratch = drills.scratchDir(drillId);
      try {
        if (!dryRun) {
          drills.tearDown(drillId);
        }
        lines.add(
            (dryRun ? "would tear down" : "tore down")
                + " drill environment "
                + scratch
                + " (run "
                + drillId
                + " is not open)");
        spoolRemoved++;
      } catch (VigilException e) {
        lines.add(e.getMessage());
        unresolved++;
      }
    }
    return new SweepReport(dryRun, List.copyOf(lines), resolved, unresolved, spoolRemoved, running);
  }

  private String resolve(BackupRecord backup, RunState state, boolean dryRun) {
    String run = backup.workflowId() == null ? "(no workflow id)" : backup.workflowId();
    String why =
        state == RunState.UNKNOWN
            ? "run "
                + run
                + " is no longer known to Temporal (lost with a server restart or past"
                + " its retention)"
            : "run " + run + " ended without recording an outcome (terminated or timed out)";
    ObjectStore store = stores.apply(backup.repository());
    String prefix = store.key(backup.source() + "/" + backup.backupId()) + "/";
    List<String> objects = store.list(prefix);
    List<OpenUpload> uploads = store.openUploads(prefix);
    Path dir = spool.dir(backup.backupId());
    boolean hasSpool = Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS);
    if (!dryRun) {
      uploads.forEach(store::abortUpload);
      objects.forEach(store::delete);
      catalog.markFailed(
          new FailRequest(
              backup.backupId(),
              ErrorType.RUN_LOST.name(),
              "orphaned: " + why + "; marked failed and cleaned by " + resolvedBy,
              STEP));
      if (hasSpool) {
        delete(dir);
      }
    }
    return (dryRun ? "would resolve " : "resolved ")
        + backup.backupId()
        + " (source "
        + backup.source()
        + ", host "
        + backup.hostId()
        + "): "
        + why
        + "; "
        + (dryRun ? "would mark" : "marked")
        + " FAILED, "
        + count(objects.size(), "object")
        + (dryRun ? " to delete, " : " deleted, ")
        + count(uploads.size(), "incomplete upload")
        + (dryRun ? " to abort, " : " aborted, ")
        + (hasSpool
            ? "spool " + dir + (dryRun ? " to remove" : " removed")
            : "no spool on this host");
  }

  /**
   * Spool directories named after a backup that is not running (any more), or after a restore whose
   * workflow is not open. {@code owned} are the backups whose directories stay; only runs in {@code
   * inScope} are looked at.
   */
  private List<Path> staleSpoolDirectories(Set<String> owned, Predicate<String> inScope) {
    Path root = spool.root();
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<Path> stale = new ArrayList<>();
    List<Path> entries;
    try (Stream<Path> listed = Files.list(root)) {
      entries = listed.sorted().toList();
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "cannot list the spool " + root + ": " + e.getMessage(), e);
    }
    for (Path entry : entries) {
      String name = entry.getFileName().toString();
      if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)
          || owned.contains(name)
          || !name.matches("[A-Za-z0-9._-]+")) {
        continue;
      }
      Optional<BackupRecord> backup = catalog.find(name);
      if (backup.isPresent()) {
        // RUNNING here means it started after the sweep listed the running backups.
        if (!"RUNNING".equals(backup.get().status()) && inScope.test(backup.get().workflowId())) {
          stale.add(entry);
        }
      } else if (RESTORE_ID.matcher(name).matches()
          && inScope.test(name)
          && runs.of(name) != RunState.OPEN) {
        stale.add(entry);
      }
    }
    return stale;
  }

  /**
   * Drills whose environment (scratch directory, perhaps a running cluster) is still on this host
   * while their run is not open: a drill tears its environment down when it ends, so these were
   * left by a killed worker whose run Temporal lost.
   */
  private List<String> leftDrills(Predicate<String> inScope) {
    Path root = drills.root();
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<String> left = new ArrayList<>();
    try (Stream<Path> listed = Files.list(root)) {
      for (Path entry : listed.sorted().toList()) {
        String name = entry.getFileName().toString();
        if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)
            && DRILL_ID.matcher(name).matches()
            && inScope.test(name)
            && runs.of(name) != RunState.OPEN) {
          left.add(name);
        }
      }
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "cannot list drill environments in " + root + ": " + e, e);
    }
    return left;
  }

  private static void delete(Path dir) {
    try {
      FileTrees.delete(dir);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "cannot remove spool directory " + dir + ": " + e, e);
    }
  }

  private static String count(int n, String one) {
    return n + " " + (n == 1 ? one : one + "s");
  }
}
