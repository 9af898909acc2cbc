package dev.vigil.activities.source.mongo;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.RawBsonDocument;

/**
 * Dumps a MongoDB source through the Java driver, for workers without mongodump: every collection
 * of the source's databases becomes {@code <db>/<coll>.bson} and {@code <db>/<coll>.metadata.json}
 * (see {@link MongoLayout}) inside one tar. Documents stream as raw BSON through a one-collection
 * spool file, so memory stays flat. Each collection is read by one cursor: the dump is consistent
 * per collection, not across collections (mongodump --oplog on a replica set gives a single point).
 */
public final class MongoDriverDumper {
  private static final Set<String> INTERNAL = Set.of("admin", "config", "local");
  private static final int BUFFER = 1 << 20;
  private static final int BATCH = 1000;

  private final MongoConnections connections;

  public MongoDriverDumper(MongoConnections connections) {
    this.connections = connections;
  }

  /** Writes {@code spoolDir/mongodump.tar} and {@code spoolDir/collections.json}. */
  public MongoDump dump(MongoSource source, String password, Path spoolDir, LongConsumer progress) {
    String what = "source '" + source.name() + "'";
    Instant consistentAt = Instant.now();
    Path archive = spoolDir.resolve(MongoLayout.DRIVER_ARCHIVE);
    Path scratch = spoolDir.resolve("collection.bson.partial");
    List<CollectionDump> collections = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    String serverVersion;
    try (MongoClient client = connections.open(source.uri(), source.user(), password);
        OutputStream file = new BufferedOutputStream(Files.newOutputStream(archive), BUFFER);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(file)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      tar.setAddPaxHeadersForNonAsciiNames(true);
      serverVersion =
          client
              .getDatabase("admin")
              .runCommand(new BsonDocument("buildInfo", new BsonInt32(1)))
              .get("version", "unknown")
              .toString();
      long written = 0;
      for (String database : databases(client, source)) {
        directory(tar, database + "/");
        for (BsonDocument info : collectionsOf(client.getDatabase(database))) {
          String name = info.getString("name").getValue();
          String type = info.getString("type", new org.bson.BsonString("collection")).getValue();
          if (name.startsWith("system.")) {
            continue;
          }
          if (!"collection".equals(type)) {
            warnings.add(
                database
                    + "."
                    + name
                    + " is a "
                    + type
                    + "; the driver path backs up collections only");
            continue;
          }
          CollectionDump dumped =
              collection(client.getDatabase(database), info, tar, scratch, written, progress);
          written += dumped.bytes();
          collections.add(dumped);
        }
      }
      tar.finish();
    } catch (MongoException e) {
      throw MongoConnections.translate(e, what, source.uri(), source.user(), ErrorType.DUMP_FAILED);
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          spoolDir,
          "dump",
          new VigilException(
              ErrorType.DUMP_FAILED,
              what + ": cannot write " + archive + ": " + e.getMessage(),
              e));
    } finally {
      try {
        Files.deleteIfExists(scratch);
      } catch (IOException ignored) {
        // the spool is cleaned with the backup
      }
    }
    return MongoDump.record(
        archive,
        MongoLayout.DRIVER_FORMAT,
        collections,
        consistentAt,
        "vigil-mongo-driver " + driverVersion(),
        serverVersion,
        warnings);
  }

  private static List<String> databases(MongoClient client, MongoSource source) {
    Set<String> present = new TreeSet<>();
    client.listDatabaseNames().into(present);
    if (source.databases().isEmpty()) {
      return present.stream().filter(name -> !INTERNAL.contains(name)).toList();
    }
    for (String database : source.databases()) {
      if (!present.contains(database)) {
        throw new VigilException(
            ErrorType.SOURCE_NOT_FOUND,
            "source '"
                + source.name()
                + "': database '"
                + database
                + "' does not exist on MongoDB at "
                + MongoConnections.hosts(source.uri())
                + "; check sources."
                + source.name()
                + ".databases");
      }
    }
    return source.databases();
  }

  private static List<BsonDocument> collectionsOf(MongoDatabase database) {
    List<BsonDocument> infos = new ArrayList<>();
    database.listCollections(BsonDocument.class).into(infos);
    infos.sort((a, b) -> a.getString("name").getValue().compareTo(b.getString("name").getValue()));
    return infos;
  }

  private static CollectionDump collection(
      MongoDatabase database,
      BsonDocument info,
      TarArchiveOutputStream tar,
      Path scratch,
      long writtenBefore,
      LongConsumer progress)
      throws IOException {
    String name = info.getString("name").getValue();
    List<BsonDocument> indexes = new ArrayList<>();
    database.getCollection(name).listIndexes(BsonDocument.class).into(indexes);
    BsonDocument infoDetails = info.getDocument("info", new BsonDocument());
    String metadata =
        MongoLayout.metadata(
            name,
            info.getDocument("options", new BsonDocument()),
            indexes,
            infoDetails.get("uuid"));
    byte[] metadataBytes = metadata.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry metadataEntry =
        new TarArchiveEntry(MongoLayout.metadataEntry(database.getName(), name));
    metadataEntry.setSize(metadataBytes.length);
    tar.putArchiveEntry(metadataEntry);
    tar.write(metadataBytes);
    tar.closeArchiveEntry();

    // The tar header needs the size first: the documents go to a spool file, then into the tar.
    long documents = 0;
    long bytes = 0;
    long reported = 0;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(scratch), BUFFER);
        MongoCursor<RawBsonDocument> cursor =
            database
                .getCollection(name, RawBsonDocument.class)
                .find()
                .batchSize(BATCH)
                .iterator()) {
      while (cursor.hasNext()) {
        ByteBuffer buffer = cursor.next().getByteBuffer().asNIO();
        byte[] raw = new byte[buffer.remaining()];
        buffer.get(raw);
        out.write(raw);
        documents++;
        bytes += raw.length;
        if (bytes - reported >= 16L * BUFFER) {
          progress.accept(writtenBefore + bytes);
          reported = bytes;
        }
      }
    }
    TarArchiveEntry bsonEntry =
        new TarArchiveEntry(MongoLayout.bsonEntry(database.getName(), name));
    bsonEntry.setSize(bytes);
    tar.putArchiveEntry(bsonEntry);
    try (InputStream in = Files.newInputStream(scratch)) {
      in.transferTo(tar);
    }
    tar.closeArchiveEntry();
    progress.accept(writtenBefore + bytes);
    return new CollectionDump(database.getName(), name, documents, bytes, indexes.size());
  }

  private static String driverVersion() {
    String version = MongoClient.class.getPackage().getImplementationVersion();
    return version == null ? "(unknown)" : version;
  }

  private static void directory(TarArchiveOutputStream tar, String name) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name);
    entry.setMode(040755);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }
}
