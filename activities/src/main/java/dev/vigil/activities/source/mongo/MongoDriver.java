package dev.vigil.activities.source.mongo;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.ConnectionString;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import dev.vigil.activities.backup.DumpMeta;
import dev.vigil.activities.backup.Spool;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.ConfigNode;
import dev.vigil.activities.config.SourceConfig;
import dev.vigil.activities.restore.DirectoryRestorer;
import dev.vigil.activities.restore.RestoreRoots;
import dev.vigil.activities.restore.RestoreStep;
import dev.vigil.activities.source.DrillScratch;
import dev.vigil.activities.source.DumpStep;
import dev.vigil.activities.source.SourceDriver;
import dev.vigil.activities.source.SourceDump;
import dev.vigil.activities.source.SourceSpec;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.drill.DrillSource;
import dev.vigil.workflows.restore.RestoreTarget;
import dev.vigil.workflows.restore.SelectedBackup;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bson.BsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MongoDB deployment ({@code type: mongodb}). With mongodump on the worker (or configured) the
 * backup is a {@code mongodump --archive} ({@code --oplog} on a replica set dumped whole: one point
 * in time); otherwise the Java driver writes the mongodump {@code --out} layout into a tar, each
 * collection read by one cursor (consistent per collection, not across them). Either way the
 * manifest records every collection's document count, and a restore is validated against them.
 */
public final class MongoDriver implements SourceDriver {
  /** The {@code type:} of MongoDB sources. */
  public static final String TYPE = "mongodb";

  /**
   * A drill's target: databases named with a per-drill prefix on the source's scratch MongoDB
   * ({@code drill-uri}), dropped when the drill is torn down.
   */
  static final String DRILL_TARGET = "mongodb-drill";

  private static final String DATABASE = "database";
  private static final String DIRECTORY = "directory";
  private static final Logger log = LoggerFactory.getLogger(MongoDriver.class);

  private final MongoConnections connections;
  private final MongoTools tools;
  private final DirectoryRestorer directories = new DirectoryRestorer();

  /** Drill databases restored on this worker, by restore id, dropped on the drill's teardown. */
  private final Map<String, MongoTarget> drillDatabases = new ConcurrentHashMap<>();

  public MongoDriver() {
    this(new MongoConnections(), new MongoTools());
  }

  public MongoDriver(MongoConnections connections, MongoTools tools) {
    this.connections = connections;
    this.tools = tools;
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Set<String> formats() {
    return Set.of(MongoLayout.DRIVER_FORMAT, MongoLayout.ARCHIVE_FORMAT);
  }

  @Override
  public SourceConfig parse(SourceSpec spec) {
    ConfigNode node = spec.node();
    spec.allow(
        "uri",
        "user",
        "password-env",
        "password-file",
        "databases",
        "tools",
        "mongodump",
        "mongorestore",
        "oplog",
        "validations",
        "drill-uri",
        "drill-user",
        "drill-password-env",
        "drill-password-file");
    String uri = uri(node, "uri", true);
    List<String> databases = node.globs("databases");
    String toolChoice =
        node.oneOf(
            "tools",
            MongoSource.AUTO,
            Set.of(MongoSource.AUTO, MongoSource.MONGODUMP, MongoSource.DRIVER));
    Boolean oplog = node.text("oplog", null) == null ? null : node.bool("oplog", false);
    if (Boolean.TRUE.equals(oplog) && !databases.isEmpty()) {
      node.problem(
          "oplog", "mongodump --oplog dumps every database; remove databases or set oplog: false");
    }
    if (MongoSource.MONGODUMP.equals(toolChoice) && databases.size() > 1) {
      node.problem(
          "databases",
          "mongodump --archive takes one database (--db) or all; list one, none, or set tools:"
              + " driver");
    }
    return new MongoSource(
        node.key,
        spec.repository(),
        spec.compression(),
        spec.objectives(),
        uri,
        node.text("user", null),
        node.secret("password", false),
        databases,
        toolChoice,
        node.path("mongodump", null),
        node.path("mongorestore", null),
        oplog,
        validations(node),
        uri(node, "drill-uri", false),
        node.text("drill-user", null),
        node.secret("drill-password", false));
  }

  @Override
  public SourceDump dump(SourceConfig configured, DumpStep step) {
    MongoSource source = (MongoSource) configured;
    String password = step.services().secret(source.password(), "source '" + source.name() + "'");
    Optional<Path> mongodump = mongodump(source);
    MongoDump dump =
        mongodump.isPresent()
            ? tools.dump(mongodump.get(), source, password, step.dir(), step.heartbeat()::accept)
            : new MongoDriverDumper(connections)
                .dump(source, password, step.dir(), step.heartbeat()::accept);
    return new SourceDump(
        new DumpMeta(
            dump.format(),
            dump.archive().getFileName().toString(),
            MongoLayout.COLLECTIONS,
            dump.warnings()),
        dump.archiveBytes(),
        dump.collections().size(),
        dump.documents(),
        dump.consistentAt(),
        dump.toolVersion(),
        dump.serverVersion());
  }

  /** mongodump if this source uses the tool path on this worker. */
  private Optional<Path> mongodump(MongoSource source) {
    if (MongoSource.DRIVER.equals(source.tools())) {
      return Optional.empty();
    }
    Optional<Path> found = tools.locate(source.mongodump(), "mongodump");
    if (MongoSource.MONGODUMP.equals(source.tools()) && found.isEmpty()) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "source '"
              + source.name()
              + "': tools: mongodump, but "
              + (source.mongodump() != null
                  ? source.mongodump() + " is not an executable file"
                  : "mongodump is not on this worker's PATH")
              + "; install the MongoDB Database Tools or set tools: driver");
    }
    // Several databases are one mongodump each; the driver path takes them in one go.
    return source.databases().size() > 1 ? Optional.empty() : found;
  }

  @Override
  public long verify(DumpMeta meta, Path raw, Path listFile, DumpStep step) {
    List<CollectionDump> recorded = MongoArchive.readCollections(listFile);
    if (MongoLayout.ARCHIVE_FORMAT.equals(meta.format())) {
      // The counts were read from this archive; reading it again checks it end to end.
      Map<String, Long> counted = ToolArchive.count(raw);
      for (CollectionDump collection : recorded) {
        if (!Long.valueOf(collection.documents()).equals(counted.get(collection.namespace()))) {
          throw MongoArchive.invalid(
              raw, "collection " + collection.namespace() + " changed since it was counted");
        }
      }
      return recorded.size();
    }
    MongoArchive.verify(raw, recorded);
    return recorded.size();
  }

  @Override
  public void writeManifest(JsonGenerator json, DumpMeta meta, Path listFile) throws IOException {
    json.writeStringField(
        "consistency",
        MongoLayout.ARCHIVE_FORMAT.equals(meta.format())
            ? "mongodump: per collection, or one point in time with --oplog (see tools.dump)"
            : "driver: per collection (one cursor each), not one point in time across collections");
    json.writeFieldName("collections");
    json.writeTree(Json.MAPPER.readTree(listFile.toFile()));
  }

  @Override
  public String restoreFileName(String format) {
    return MongoLayout.ARCHIVE_FORMAT.equals(format)
        ? MongoLayout.TOOL_ARCHIVE
        : MongoLayout.DRIVER_ARCHIVE;
  }

  @Override
  public void checkTarget(RestoreStep step) {
    if (isDirectory(step.target())) {
      directoryTarget(step);
      return;
    }
    target(step, step.target());
    if (MongoLayout.ARCHIVE_FORMAT.equals(step.backup().format())) {
      mongorestore(step);
    }
  }

  @Override
  public RestoreTarget restore(RestoreStep step) {
    if (isDirectory(step.target())) {
      Path into = directoryTarget(step);
      step.claim();
      try {
        Files.createDirectories(into);
      } catch (IOException e) {
        throw new VigilException(ErrorType.RESTORE_FAILED, "cannot create " + into + ": " + e, e);
      }
      MongoFiles.unpack(
          step.plain(), step.backup().format(), into, bytes -> step.heartbeat().accept(bytes));
      return RestoreTarget.directory(into.toString());
    }
    boolean replace = step.force() || step.claimedBefore();
    MongoTarget target = target(step, step.target()).forced(replace);
    if (DRILL_TARGET.equals(step.target().type())) {
      drillDatabases.put(step.restoreId(), target);
    }
    List<CollectionDump> recorded = collections(step);
    if (MongoLayout.ARCHIVE_FORMAT.equals(step.backup().format())) {
      boolean oplog = ToolArchive.count(step.plain()).containsKey("oplog");
      if (oplog && target.database() != null) {
        throw new VigilException(
            ErrorType.INVALID_CONFIG,
            "backup '"
                + step.backup().backupId()
                + "' is a mongodump --oplog archive of the whole deployment; it restores under its"
                + " own database names (leave out --target-db)");
      }
      List<String> databases = new ArrayList<>(new LinkedHashSet<>(databasesOf(recorded)));
      step.claim();
      tools.restore(
          mongorestore(step),
          step.plain(),
          databases,
          target,
          oplog,
          step.dir(),
          () -> step.heartbeat().accept(null));
    } else {
      new MongoRestorer(connections)
          .restore(
              step.plain(), target, step::claim, documents -> step.heartbeat().accept(documents));
    }
    return step.target();
  }

  @Override
  public ValidationResult validate(RestoreStep step) {
    if (isDirectory(step.target())) {
      return MongoFiles.validate(
          Path.of(step.target().directory()), step.backup().format(), collections(step));
    }
    MongoTarget target = target(step, step.target());
    List<MongoValidation> queries =
        step.source() instanceof MongoSource source ? source.validations() : List.of();
    return new MongoValidator(connections).validate(target, collections(step), queries);
  }

  @Override
  public RestoreTarget drillTarget(DrillSource source, DrillScratch drill) {
    return new RestoreTarget(
        DRILL_TARGET, null, 0, drillPrefix(drill.restoreIdOf(source.name())), null, null, null);
  }

  @Override
  public void tearDownDrill(String drillId) {
    String prefix = drillId + "-restore-";
    for (Map.Entry<String, MongoTarget> entry : Map.copyOf(drillDatabases).entrySet()) {
      if (!entry.getKey().startsWith(prefix)) {
        continue;
      }
      MongoTarget target = entry.getValue();
      try (MongoClient client = connections.open(target.uri(), target.user(), target.password())) {
        for (String database : client.listDatabaseNames()) {
          if (database.startsWith(target.databasePrefix())) {
            client.getDatabase(database).drop();
          }
        }
        drillDatabases.remove(entry.getKey());
      } catch (MongoException e) {
        // The drill's other teardown must still run; the databases are named for a person to drop.
        log.warn(
            "drill {}: cannot drop databases {}* on MongoDB at {}: {}; drop them by hand",
            drillId,
            target.databasePrefix(),
            MongoConnections.hosts(target.uri()),
            e.getMessage());
      }
    }
  }

  /** The names of a drill's databases start with this (MongoDB names are at most 63 bytes). */
  static String drillPrefix(String restoreId) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(restoreId.getBytes(StandardCharsets.UTF_8));
      return "vigil_drill_" + HexFormat.of().formatHex(hash, 0, 6) + "_";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** Where a restore or validation of {@code step} goes, with its credentials. */
  private MongoTarget target(RestoreStep step, RestoreTarget target) {
    SelectedBackup backup = step.backup();
    MongoSource source = step.source() instanceof MongoSource mongo ? mongo : null;
    String what = "backup '" + backup.backupId() + "'";
    if (target != null && DRILL_TARGET.equals(target.type())) {
      if (source == null || source.drillUri() == null) {
        throw new VigilException(
            ErrorType.INVALID_CONFIG,
            "source '"
                + backup.source().name()
                + "': a drill restores MongoDB into a scratch MongoDB that Vigil cannot start"
                + " (no mongod here); set sources."
                + backup.source().name()
                + ".drill-uri (and drill-user, drill-password-file) or leave the source out of"
                + " the drill");
      }
      return new MongoTarget(
          source.drillUri(),
          source.drillUser(),
          step.services().secret(source.drillPassword(), "source '" + source.name() + "'"),
          null,
          target.database(),
          false);
    }
    if (target == null || !DATABASE.equals(target.type())) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          what
              + " is a MongoDB backup; restore it into a MongoDB (--target-db, and --target-host"
              + " and --target-port for another server than the source's) or as files for"
              + " mongorestore (--target-dir): Vigil cannot start a mongod");
    }
    if (target.host() == null) {
      if (source == null) {
        throw new VigilException(
            ErrorType.INVALID_CONFIG,
            what
                + ": its source '"
                + backup.source().name()
                + "' is not a MongoDB source in this worker's config; name the target server with"
                + " --target-host and --target-port");
      }
      return new MongoTarget(
          source.uri(),
          target.user() != null ? target.user() : source.user(),
          target.passwordFile() != null
              ? readPassword(target.passwordFile())
              : step.services().secret(source.password(), "source '" + source.name() + "'"),
          target.database(),
          null,
          step.force());
    }
    String uri =
        "mongodb://"
            + target.host()
            + ":"
            + (target.port() > 0 ? target.port() : 27017)
            + "/?directConnection=true";
    return new MongoTarget(
        uri,
        target.user(),
        target.passwordFile() == null ? null : readPassword(target.passwordFile()),
        target.database(),
        null,
        step.force());
  }

  private static boolean isDirectory(RestoreTarget target) {
    return target != null && DIRECTORY.equals(target.type()) && target.directory() != null;
  }

  /**
   * A directory target inside the worker's restore roots, empty or new (a retry may find its own
   * earlier files): the backup is written there as files for mongorestore by hand.
   */
  private Path directoryTarget(RestoreStep step) {
    Path into = step.roots().check(step.target().directory());
    if (step.force() && !step.claimedBefore()) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "backup '"
              + step.backup().backupId()
              + "': a MongoDB backup is written as files into an empty or new directory only;"
              + " leave out --force and name a new directory");
    }
    directories.checkTarget(into, step.claimedBefore());
    RestoreRoots.requireWritable(into);
    return into;
  }

  private Path mongorestore(RestoreStep step) {
    Path configured = step.source() instanceof MongoSource source ? source.mongorestore() : null;
    return tools
        .locate(configured, "mongorestore")
        .orElseThrow(
            () ->
                new VigilException(
                    ErrorType.INVALID_CONFIG,
                    "backup '"
                        + step.backup().backupId()
                        + "' is a mongodump --archive; restoring it needs mongorestore, which is"
                        + " not "
                        + (configured != null ? "at " + configured : "on this worker's PATH")
                        + "; install the MongoDB Database Tools on the worker"));
  }

  /** The collections the backup's manifest records. */
  private static List<CollectionDump> collections(RestoreStep step) {
    Path manifest = step.services().spool().existing(step.restoreId(), Spool.MANIFEST);
    try {
      JsonNode collections = Json.MAPPER.readTree(manifest.toFile()).path("collections");
      List<CollectionDump> recorded = new ArrayList<>();
      for (JsonNode collection : collections) {
        recorded.add(Json.MAPPER.treeToValue(collection, CollectionDump.class));
      }
      return recorded;
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.MANIFEST_INVALID,
          "manifest " + manifest + " has no readable collection counts: " + e.getMessage());
    }
  }

  private static List<String> databasesOf(List<CollectionDump> collections) {
    return collections.stream().map(CollectionDump::database).distinct().toList();
  }

  private static String readPassword(String file) {
    try {
      return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG, "cannot read the target password file " + file);
    }
  }

  /**
   * A MongoDB connection string without credentials; problems name the key, never echo the value
   * (it could hold a password).
   */
  private static String uri(ConfigNode node, String key, boolean required) {
    String uri = required ? node.requiredText(key) : node.text(key, null);
    if (uri == null) {
      return null;
    }
    try {
      ConnectionString parsed = new ConnectionString(uri);
      if (parsed.getPassword() != null || parsed.getUsername() != null) {
        node.problem(
            key,
            "holds a user or password; put the user in "
                + (key.startsWith("drill") ? "drill-user" : "user")
                + " and the password in "
                + (key.startsWith("drill") ? "drill-password" : "password")
                + "-env or -file");
      }
    } catch (IllegalArgumentException e) {
      node.problem(
          key,
          "not a MongoDB connection string (expected mongodb://host:27017/ or mongodb+srv://)");
    }
    return uri;
  }

  private static List<MongoValidation> validations(ConfigNode node) {
    JsonNode list = node.missing() ? null : node.value.get("validations");
    if (list == null || list.isNull()) {
      return List.of();
    }
    if (!list.isArray()) {
      node.problem(
          "validations",
          "expected a list such as [{collection: users, filter: {active: true}, min-count: 1}]");
      return List.of();
    }
    List<MongoValidation> validations = new ArrayList<>();
    for (int index = 0; index < list.size(); index++) {
      String at = "validations[" + index + "]";
      JsonNode item = list.get(index);
      if (!item.isObject()) {
        node.problem(at, "expected a mapping with collection, filter and min-count");
        continue;
      }
      Set<String> known = Set.of("database", "collection", "filter", "min-count", "max-count");
      item.fieldNames()
          .forEachRemaining(
              field -> {
                if (!known.contains(field)) {
                  node.problem(at + "." + field, "unknown field; expected one of " + known);
                }
              });
      String collection = item.path("collection").asText(null);
      if (collection == null || collection.isBlank()) {
        node.problem(at + ".collection", "missing");
        continue;
      }
      JsonNode filter = item.get("filter");
      String filterJson = "{}";
      if (filter != null && !filter.isNull()) {
        try {
          filterJson =
              filter.isTextual() ? filter.asText() : Json.MAPPER.writeValueAsString(filter);
          BsonDocument.parse(filterJson);
        } catch (IOException | RuntimeException e) {
          node.problem(at + ".filter", "expected a query document such as {active: true}");
          continue;
        }
      }
      long min = count(node, at + ".min-count", item.get("min-count"), 1);
      long max = count(node, at + ".max-count", item.get("max-count"), -1);
      validations.add(
          new MongoValidation(
              item.path("database").asText(null), collection, filterJson, min, max));
    }
    return validations;
  }

  private static long count(ConfigNode node, String at, JsonNode value, long fallback) {
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isIntegralNumber() || value.asLong() < 0) {
      node.problem(at, "expected a whole number of documents, 0 or more");
      return fallback;
    }
    return value.asLong();
  }
}
