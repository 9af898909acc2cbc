package dev.vigil.activities.cas;

import java.util.List;
import java.util.Map;

/**
 * A chunked directory backup: its tree and, for every chunk a file names, where the chunk lies.
 * Stored sealed (and authenticated) as the backup's data object, so a restore needs no catalog;
 * serialized by {@link SnapshotCodec}.
 *
 * @param version the serialized format version ({@link SnapshotCodec}: 2 written, 1 still read)
 * @param keyId the key the chunks are sealed with (ids and encryption derive from it)
 * @param chunkSize the size files are cut at
 * @param chunks every chunk the files reference, by id
 * @param files the tree in walk order (parents before children)
 */
public record Snapshot(
    int version, String keyId, int chunkSize, Map<String, ChunkRef> chunks, List<Node> files) {

  /**
   * One entry of the tree.
   *
   * @param type {@code file}, {@code dir} or {@code symlink}
   * @param chunks a file's chunk ids in order; empty for others
   */
  public record Node(
      String path,
      String type,
      long size,
      int mode,
      long mtimeMillis,
      String linkTarget,
      List<String> chunks) {}
}
