package dev.vigil.activities.source.mongo;

import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
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

  /**
   * Writes the per-collection counts beside {@code archive} ({@link MongoLayout#COLLECTIONS}) and
   * returns the dump they describe.
   */
  static MongoDump record(
      Path archive,
      String format,
      List<CollectionDump> collections,
      Instant consistentAt,
      String toolVersion,
      String serverVersion,
      List<String> warnings) {
    Path list = archive.resolveSibling(MongoLayout.COLLECTIONS);
    try {
      Json.MAPPER.writeValue(list.toFile(), collections);
      return new MongoDump(
          archive,
          list,
          format,
          Files.size(archive),
          collections,
          consistentAt,
          toolVersion,
          serverVersion,
          warnings);
    } catch (IOException e) {
      throw new VigilException(ErrorType.SPOOL_MISSING, "cannot write " + list + ": " + e, e);
    }
  }

  public long documents() {
    return collections.stream().mapToLong(CollectionDump::documents).sum();
  }
}
