package dev.vigil.activities.retention;

import dev.vigil.activities.store.ListedObject;
import dev.vigil.activities.wal.PhysicalBackup;
import dev.vigil.activities.wal.WalChain;
import dev.vigil.activities.wal.WalSegment;
import dev.vigil.workflows.retention.WalExpiry;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which archived WAL of a physical source no kept base backup needs: the WAL files before the start
 * segment of the oldest kept (ARCHIVED) base backup. Computed from the catalog and one listing each
 * time, so a plan and the delete that follows it agree, and a rerun after a crash finds what is
 * left and deletes only that.
 */
final class WalRetention {
  private WalRetention() {}

  /**
   * What can go.
   *
   * @param expiry the summary for plans and reports
   * @param objects the objects to delete, in key order (empty when nothing can go)
   */
  record Expired(WalExpiry expiry, List<ListedObject> objects) {}

  /** Against {@code kept}: the physical backups that stay (ARCHIVED, not about to be pruned). */
  static Expired expired(WalChain chain, String source, List<PhysicalBackup> kept) {
    if (kept.isEmpty()) {
      return nothing(source, "no verified base backup is kept");
    }
    Optional<PhysicalBackup> unknown = kept.stream().filter(b -> !b.knowsStart()).findFirst();
    if (unknown.isPresent()) {
      return nothing(
          source,
          "the catalog has no start LSN or timeline for base backup "
              + unknown.get().backupId()
              + "; WAL is kept until it is pruned");
    }
    PhysicalBackup oldest =
        kept.stream()
            .min(Comparator.comparing(b -> b.startSegment(chain.segmentSize())))
            .orElseThrow();
    WalSegment start = oldest.startSegment(chain.segmentSize());
    List<ListedObject> objects = chain.before(start);
    long segments =
        objects.stream().filter(object -> object.key().matches(".*/[0-9A-F]{24}\\.vgl")).count();
    long bytes = objects.stream().mapToLong(ListedObject::size).sum();
    return new Expired(
        new WalExpiry(
            source,
            chain.name(start),
            oldest.backupId(),
            segments,
            objects.size() - segments,
            bytes,
            null),
        objects);
  }

  private static Expired nothing(String source, String why) {
    return new Expired(new WalExpiry(source, null, null, 0, 0, 0, why), List.of());
  }
}
