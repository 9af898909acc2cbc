package dev.vigil.activities.source.mongo;

import java.util.List;
import java.util.UUID;
import org.bson.BsonArray;
import org.bson.BsonBinary;
import org.bson.BsonBinarySubType;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

/**
 * The file layout {@code mongodump --out DIR} writes, which the driver path reproduces so that
 * {@code mongorestore DIR} reads it: {@code <db>/<collection>.bson} holds the collection's
 * documents as raw BSON, one after another; {@code <db>/<collection>.metadata.json} holds, as
 * canonical Extended JSON, the fields {@code options} (the collection's creation options), {@code
 * indexes} (the index specifications as {@code listIndexes} returns them, without {@code ns}),
 * {@code uuid} (32 hex digits, when the server reports one), {@code collectionName} and {@code
 * type} ({@code collection}).
 */
public final class MongoLayout {
  /** Manifest format of a driver-path backup: a tar of the mongodump --out layout. */
  public static final String DRIVER_FORMAT = "mongodb-dump-tar";

  /** Manifest format of a tool-path backup: a mongodump --archive file. */
  public static final String ARCHIVE_FORMAT = "mongodump-archive";

  /** The dump's name in the spool. */
  public static final String DRIVER_ARCHIVE = "mongodump.tar";

  /** The tool path's archive name in the spool. */
  public static final String TOOL_ARCHIVE = "mongodump.archive";

  /** The per-collection counts beside the dump, for the manifest. */
  public static final String COLLECTIONS = "collections.json";

  static final String BSON = ".bson";
  static final String METADATA = ".metadata.json";

  private static final JsonWriterSettings CANONICAL =
      JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

  private MongoLayout() {}

  static String bsonEntry(String database, String collection) {
    return database + "/" + collection + BSON;
  }

  static String metadataEntry(String database, String collection) {
    return database + "/" + collection + METADATA;
  }

  /** The metadata file's text for a collection, as mongodump writes it. */
  static String metadata(
      String collection, BsonDocument options, List<BsonDocument> indexes, BsonValue uuid) {
    BsonDocument metadata = new BsonDocument();
    metadata.put("options", options == null ? new BsonDocument() : options);
    BsonArray specs = new BsonArray();
    for (BsonDocument index : indexes) {
      BsonDocument spec = index.clone();
      spec.remove("ns");
      specs.add(spec);
    }
    metadata.put("indexes", specs);
    String hex = uuidHex(uuid);
    if (hex != null) {
      metadata.put("uuid", new BsonString(hex));
    }
    metadata.put("collectionName", new BsonString(collection));
    metadata.put("type", new BsonString("collection"));
    return metadata.toJson(CANONICAL);
  }

  /** The index specifications of a metadata file. */
  static List<BsonDocument> indexes(String metadataJson) {
    BsonDocument metadata = BsonDocument.parse(metadataJson);
    return metadata.getArray("indexes", new BsonArray()).stream()
        .map(BsonValue::asDocument)
        .toList();
  }

  private static String uuidHex(BsonValue uuid) {
    if (uuid == null || !uuid.isBinary()) {
      return null;
    }
    BsonBinary binary = uuid.asBinary();
    if (binary.getType() != BsonBinarySubType.UUID_STANDARD.getValue()) {
      return null;
    }
    UUID value = binary.asUuid();
    return value.toString().replace("-", "");
  }
}
