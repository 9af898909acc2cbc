package dev.vigil.activities.source.mongo;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a driver-path MongoDB backup (a tar of the mongodump --out layout): checks every document
 * of every {@code .bson} file is whole, valid BSON, and that the counts match those recorded.
 */
public final class MongoArchive {
  private static final int BUFFER = 1 << 20;

  private MongoArchive() {}

  /** The per-collection counts recorded beside a dump. */
  public static List<CollectionDump> readCollections(Path collectionsFile) {
    try {
      return Json.MAPPER.readValue(
          collectionsFile.toFile(), new TypeReference<List<CollectionDump>>() {});
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "cannot read " + collectionsFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads every document of {@code archive} and compares the counts with {@code recorded}. Returns
   * the number of documents; DUMP_INVALID naming the collection and the document at fault.
   */
  public static long verify(Path archive, List<CollectionDump> recorded) {
    Map<String, Long> counted = count(archive);
    Map<String, Long> expected = new LinkedHashMap<>();
    recorded.forEach(c -> expected.put(c.namespace(), c.documents()));
    for (Map.Entry<String, Long> entry : expected.entrySet()) {
      Long found = counted.get(entry.getKey());
      if (found == null) {
        throw invalid(archive, "lacks collection " + entry.getKey() + " that the dump recorded");
      }
      if (!found.equals(entry.getValue())) {
        throw invalid(
            archive,
            "collection "
                + entry.getKey()
                + " holds "
                + found
                + " documents; the dump recorded "
                + entry.getValue());
      }
    }
    for (String namespace : counted.keySet()) {
      if (!expected.containsKey(namespace)) {
        throw invalid(archive, "holds collection " + namespace + " that the dump did not record");
      }
    }
    return counted.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Documents per namespace ({@code db.collection}), reading and checking every document. */
  static Map<String, Long> count(Path archive) {
    Map<String, Long> counted = new LinkedHashMap<>();
    try (InputStream file = new BufferedInputStream(Files.newInputStream(archive), BUFFER);
        TarArchiveInputStream tar = new TarArchiveInputStream(file)) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Namespace namespace = Namespace.ofBson(entry.getName());
        if (namespace == null) {
          continue;
        }
        BsonStream documents = new BsonStream(tar);
        try {
          while (documents.next(true) != null) {
            // counted by the stream
          }
        } catch (BsonStream.Corrupt e) {
          throw invalid(archive, "collection " + namespace + ": " + e.getMessage());
        }
        counted.put(namespace.toString(), documents.documents());
      }
    } catch (IOException e) {
      throw invalid(archive, "is unreadable: " + e.getMessage());
    }
    return counted;
  }

  static VigilException invalid(Path archive, String what) {
    return new VigilException(ErrorType.DUMP_INVALID, "MongoDB backup " + archive + " " + what);
  }

  /** A {@code <db>/<collection>} pair named by an archive entry. */
  record Namespace(String database, String collection) {
    /** The namespace of a {@code <db>/<coll>.bson} entry; null for any other entry. */
    static Namespace ofBson(String entry) {
      return of(entry, MongoLayout.BSON);
    }

    /** The namespace of a {@code <db>/<coll>.metadata.json} entry; null for any other entry. */
    static Namespace ofMetadata(String entry) {
      return of(entry, MongoLayout.METADATA);
    }

    private static Namespace of(String entry, String suffix) {
      String name = entry.startsWith("./") ? entry.substring(2) : entry;
      int slash = name.indexOf('/');
      if (!name.endsWith(suffix) || slash <= 0 || name.indexOf('/', slash + 1) >= 0) {
        return null;
      }
      String collection = name.substring(slash + 1, name.length() - suffix.length());
      return collection.isEmpty() ? null : new Namespace(name.substring(0, slash), collection);
    }

    @Override
    public String toString() {
      return database + "." + collection;
    }
  }

  /** The namespaces of {@code .bson} entries in archive order. */
  static List<Namespace> namespaces(Iterable<TarArchiveEntry> entries) {
    List<Namespace> namespaces = new ArrayList<>();
    for (TarArchiveEntry entry : entries) {
      Namespace namespace = Namespace.ofBson(entry.getName());
      if (namespace != null) {
        namespaces.add(namespace);
      }
    }
    return namespaces;
  }
}
