package dev.vigil.activities.source.mongo;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * A MongoDB dump in the spool.
 *
 * @param archive the tar of the mongodump {@code --out} layout (driver path) or the mongodump
 *     {@code --archive} file (tool path)
 * @param collectionsFile JSON list of {@link CollectionDump}, for the manifest
 * @param format {@link MongoLayout#DRIVER_FORMAT} or {@link MongoLayout#ARCHIVE_FORMAT}
 * @param consistentAt when the dump started; the driver path is consistent per collection only
 */
public record MongoDump(
    Path archive,
    Path collectionsFile,
    String format,
    long archiveBytes,
    List<CollectionDump> collections,
    Instant consistentAt,
    String toolVersion,
    String serverVersion,
    List<String> warnings) {

  public long documents() {
    return collections.stream().mapToLong(CollectionDump::documents).sum();
  }
}
