package dev.vigil.activities.source.mongo;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.RawBsonDocument;

/**
 * Restores a driver-path MongoDB backup into a MongoDB through the driver: each collection's
 * documents are inserted in batches as raw BSON, then its indexes are created from its metadata.
 * Every target collection is checked before anything is written: one that holds documents refuses
 * the restore unless {@link MongoTarget#force()} drops it first.
 */
public final class MongoRestorer {
  private static final int BATCH_DOCUMENTS = 1000;
  private static final int BATCH_BYTES = 8 * 1024 * 1024;

  private final MongoConnections connections;

  public MongoRestorer(MongoConnections connections) {
    this.connections = connections;
  }

  /**
   * Restores {@code archive} into {@code target}; returns the documents restored per collection.
   */
  public List<CollectionDump> restore(Path archive, MongoTarget target, LongConsumer progress) {
    return restore(archive, target, () -> {}, progress);
  }

  /**
   * As {@link #restore(Path, MongoTarget, LongConsumer)}; {@code beforeWrite} runs once every
   * target collection passed its check, before the first write (a restore claims its target then).
   */
  public List<CollectionDump> restore(
      Path archive, MongoTarget target, Runnable beforeWrite, LongConsumer progress) {
    String what = "restore target MongoDB at " + MongoConnections.hosts(target.uri());
    try (TarFile tar = new TarFile(archive);
        MongoClient client = connections.open(target.uri(), target.user(), target.password())) {
      Map<String, TarArchiveEntry> entries = new HashMap<>();
      for (TarArchiveEntry entry : tar.getEntries()) {
        entries.put(
            entry.getName().startsWith("./") ? entry.getName().substring(2) : entry.getName(),
            entry);
      }
      List<MongoArchive.Namespace> namespaces = MongoArchive.namespaces(tar.getEntries());
      checkTargets(client, namespaces, target, what);
      beforeWrite.run();
      List<CollectionDump> restored = new ArrayList<>();
      long documentsSoFar = 0;
      for (MongoArchive.Namespace namespace : namespaces) {
        MongoDatabase database = client.getDatabase(target.databaseFor(namespace.database()));
        TarArchiveEntry metadataEntry =
            entries.get(MongoLayout.metadataEntry(namespace.database(), namespace.collection()));
        BsonDocument metadata =
            metadataEntry == null
                ? new BsonDocument()
                : BsonDocument.parse(
                    new String(
                        tar.getInputStream(metadataEntry).readAllBytes(), StandardCharsets.UTF_8));
        if (target.force()) {
          database.getCollection(namespace.collection()).drop();
        }
        createCollection(database, namespace.collection(), metadata);
        long documents =
            insert(
                archive,
                tar.getInputStream(
                    entries.get(
                        MongoLayout.bsonEntry(namespace.database(), namespace.collection()))),
                database.getCollection(namespace.collection(), RawBsonDocument.class),
                namespace,
                documentsSoFar,
                progress);
        documentsSoFar += documents;
        int indexes = createIndexes(database, namespace.collection(), metadata);
        restored.add(
            new CollectionDump(
                database.getName(),
                namespace.collection(),
                documents,
                entries
                    .get(MongoLayout.bsonEntry(namespace.database(), namespace.collection()))
                    .getSize(),
                indexes));
      }
      return restored;
    } catch (MongoException e) {
      throw MongoConnections.translate(
          e, what, target.uri(), target.user(), ErrorType.RESTORE_FAILED);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED,
          "cannot read MongoDB backup " + archive + ": " + e.getMessage(),
          e);
    }
  }

  private static void checkTargets(
      MongoClient client,
      List<MongoArchive.Namespace> namespaces,
      MongoTarget target,
      String what) {
    Set<String> databases = new LinkedHashSet<>();
    namespaces.forEach(namespace -> databases.add(namespace.database()));
    if (target.database() != null && databases.size() > 1) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          what
              + ": the backup holds "
              + databases.size()
              + " databases "
              + databases
              + "; a target database name applies to a backup of one database only");
    }
    if (target.force()) {
      return;
    }
    for (MongoArchive.Namespace namespace : namespaces) {
      String database = target.databaseFor(namespace.database());
      long present =
          client
              .getDatabase(database)
              .getCollection(namespace.collection())
              .estimatedDocumentCount();
      if (present > 0) {
        throw new VigilException(
            ErrorType.TARGET_NOT_EMPTY,
            what
                + ": collection "
                + database
                + "."
                + namespace.collection()
                + " already holds "
                + present
                + " documents; restore into another database or pass --force to drop it");
      }
    }
  }

  private static long insert(
      Path archive,
      InputStream entry,
      MongoCollection<RawBsonDocument> collection,
      MongoArchive.Namespace namespace,
      long before,
      LongConsumer progress)
      throws IOException {
    BsonStream stream = new BsonStream(new BufferedInputStream(entry, BATCH_BYTES));
    List<RawBsonDocument> batch = new ArrayList<>(BATCH_DOCUMENTS);
    long batchBytes = 0;
    long documents = 0;
    try {
      RawBsonDocument document;
      while ((document = stream.next(false)) != null) {
        batch.add(document);
        batchBytes += document.getByteBuffer().remaining();
        if (batch.size() >= BATCH_DOCUMENTS || batchBytes >= BATCH_BYTES) {
          collection.insertMany(batch);
          documents += batch.size();
          progress.accept(before + documents);
          batch.clear();
          batchBytes = 0;
        }
      }
    } catch (BsonStream.Corrupt e) {
      throw MongoArchive.invalid(archive, "collection " + namespace + ": " + e.getMessage());
    }
    if (!batch.isEmpty()) {
      collection.insertMany(batch);
      documents += batch.size();
      progress.accept(before + documents);
    }
    return documents;
  }

  private static void createCollection(MongoDatabase database, String name, BsonDocument metadata) {
    BsonDocument options = metadata.getDocument("options", new BsonDocument());
    if (options.isEmpty()) {
      return; // created by the first insert
    }
    Set<String> present = new LinkedHashSet<>();
    database.listCollectionNames().into(present);
    if (present.contains(name)) {
      return;
    }
    BsonDocument create = new BsonDocument("create", new BsonString(name));
    create.putAll(options);
    database.runCommand(create);
  }

  /** Creates the metadata's indexes but {@code _id_}; returns how many the collection has. */
  private static int createIndexes(MongoDatabase database, String name, BsonDocument metadata) {
    BsonArray specs = new BsonArray();
    int total = 0;
    for (BsonDocument index : MongoLayout.indexes(metadata.toJson())) {
      total++;
      if ("_id_".equals(index.getString("name", new BsonString("")).getValue())) {
        continue;
      }
      BsonDocument spec = index.clone();
      spec.remove("ns");
      spec.remove("v");
      specs.add(spec);
    }
    if (!specs.isEmpty()) {
      database.runCommand(
          new BsonDocument("createIndexes", new BsonString(name)).append("indexes", specs));
    }
    return Math.max(total, 1);
  }
}
