package dev.vigil.activities.retention;

import java.time.Instant;
import java.util.Map;

/**
 * A checkpoint-like subdirectory of a model directory.
 *
 * @param path relative to the source directory, with '/' separators
 * @param type checkpoint, best, production or rollback
 * @param modifiedAt the newest modification time of any file in it
 * @param files every regular file in it: path relative to the source directory → size
 */
public record LocalArtifact(String path, String type, Instant modifiedAt, Map<String, Long> files) {

  /** Total bytes of its files. */
  public long bytes() {
    return files.values().stream().mapToLong(Long::longValue).sum();
  }
}
