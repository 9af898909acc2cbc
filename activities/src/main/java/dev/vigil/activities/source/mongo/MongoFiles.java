package dev.vigil.activities.source.mongo;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.restore.SafeTarExtractor;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * A MongoDB backup restored as files, for {@code mongorestore} by hand: a driver-path backup is
 * unpacked (through the safe extractor) into the mongodump {@code --out} layout, which {@code
 * mongorestore --dir DIR} reads; a tool-path backup becomes {@code DIR/mongodump.archive}, which
 * {@code mongorestore --archive=DIR/mongodump.archive} reads.
 */
final class MongoFiles {
  private MongoFiles() {}

  /** Writes the backup {@code plain} of {@code format} into the existing directory {@code into}. */
  static void unpack(Path plain, String format, Path into, LongConsumer progress) {
    try {
      if (MongoLayout.ARCHIVE_FORMAT.equals(format)) {
        Files.copy(
            plain, into.resolve(MongoLayout.TOOL_ARCHIVE), StandardCopyOption.REPLACE_EXISTING);
        return;
      }
      try (InputStream in = new BufferedInputStream(Files.newInputStream(plain), 1 << 20)) {
        SafeTarExtractor.extract(in, into, SafeTarExtractor.NO_CHECKS, progress);
      }
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED, "cannot write the MongoDB backup into " + into + ": " + e, e);
    }
  }

  /** Compares the documents in the files under {@code into} with the manifest's counts. */
  static ValidationResult validate(Path into, String format, List<CollectionDump> recorded) {
    List<String> checks = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    Map<String, Long> archive =
        MongoLayout.ARCHIVE_FORMAT.equals(format)
            ? ToolArchive.count(into.resolve(MongoLayout.TOOL_ARCHIVE))
            : null;
    for (CollectionDump collection : recorded) {
      long found;
      if (archive != null) {
        found = archive.getOrDefault(collection.namespace(), -1L);
      } else {
        found =
            count(
                into.resolve(
                    MongoLayout.bsonEntry(collection.database(), collection.collection())));
      }
      String check =
          collection.namespace()
              + ": "
              + (found < 0 ? "missing" : found + " documents")
              + " (backup: "
              + collection.documents()
              + ")";
      checks.add(check);
      if (found != collection.documents()) {
        failures.add(check);
      }
    }
    return new ValidationResult(failures.isEmpty(), checks, failures);
  }

  private static long count(Path bson) {
    if (!Files.isRegularFile(bson)) {
      return -1;
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(bson), 1 << 20)) {
      BsonStream documents = new BsonStream(in);
      while (documents.next(true) != null) {
        // counted by the stream
      }
      return documents.documents();
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.VALIDATION_FAILED,
          "restored file " + bson + " is unreadable: " + e.getMessage());
    }
  }
}
