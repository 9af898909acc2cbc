package dev.vigil.activities.cas;

import dev.vigil.activities.store.ObjectStore;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the packs of a chunked source that no RUNNING or ARCHIVED backup references (mark and
 * sweep over the catalog's references). Crash-safe by its order: the catalog marks the packs
 * DELETING first (under the lock a backup takes to reference old packs, so none can start using
 * them), then each object is deleted, then its row is forgotten. A crash anywhere leaves DELETING
 * rows whose objects may or may not exist; the next sweep deletes them again. A kept backup's pack
 * is never marked, so never deleted. Packs are deleted whole: a pack in which any chunk is still
 * needed stays with all its chunks (no repacking).
 */
public final class PackSweeper {
  private static final Logger log = LoggerFactory.getLogger(PackSweeper.class);

  /** What a sweep deleted. */
  public record Swept(int packs, long bytes) {}

  private PackSweeper() {}

  /** Sweeps the packs of {@code source} in {@code repository}, held in {@code store}. */
  public static Swept sweep(
      ChunkCatalog catalog, ObjectStore store, String repository, String source) {
    List<ChunkCatalog.Pack> doomed = catalog.condemnUnreferenced(repository, source);
    long bytes = 0;
    for (ChunkCatalog.Pack pack : doomed) {
      store.delete(pack.key());
      catalog.forget(pack.key());
      bytes += pack.size();
    }
    if (!doomed.isEmpty()) {
      log.info(
          "swept {} unreferenced packs ({} bytes) of source {} in repository {}",
          doomed.size(),
          bytes,
          source,
          repository);
    }
    return new Swept(doomed.size(), bytes);
  }
}
