package dev.vigil.activities.source.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.embedded.FreePorts;
import dev.vigil.activities.testing.MongoSeed;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver path against mongo-java-server (a MongoDB wire-protocol emulator started in this JVM;
 * not mongod): dump, verify, restore into a second server, validate.
 */
class MongoDriverRoundTripIT {
  @TempDir Path spool;

  private final MongoConnections connections = new MongoConnections(Duration.ofSeconds(2));
  private MongoServer source;
  private MongoServer target;
  private String sourceUri;
  private String targetUri;

  @BeforeEach
  void startServers() {
    source = new MongoServer(new MemoryBackend());
    target = new MongoServer(new MemoryBackend());
    sourceUri = uri(source.bind());
    targetUri = uri(target.bind());
  }

  @AfterEach
  void stopServers() {
    source.shutdownNow();
    target.shutdownNow();
  }

  @Test
  void dumpWritesTheMongodumpLayoutWithCountsAndIndexMetadata() throws Exception {
    seed();

    MongoDump dump = dumper().dump(source(List.of("app")), null, spool, bytes -> {});

    assertThat(dump.format()).isEqualTo(MongoLayout.DRIVER_FORMAT);
    assertThat(dump.collections())
        .extracting(CollectionDump::namespace, CollectionDump::documents)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("app.events", 2500L),
            org.assertj.core.groups.Tuple.tuple("app.users", 3L));
    Map<String, byte[]> entries = entries(dump.archive());
    assertThat(entries.keySet())
        .contains(
            "app/events.bson",
            "app/events.metadata.json",
            "app/users.bson",
            "app/users.metadata.json");
    BsonDocument metadata =
        BsonDocument.parse(
            new String(entries.get("app/users.metadata.json"), StandardCharsets.UTF_8));
    assertThat(metadata.keySet()).contains("options", "indexes", "collectionName", "type");
    assertThat(metadata.getString("collectionName").getValue()).isEqualTo("users");
    assertThat(metadata.getString("type").getValue()).isEqualTo("collection");
    assertThat(metadata.getArray("indexes"))
        .extracting(index -> index.asDocument().getString("name").getValue())
        .contains("_id_", "email_1");
    // The .bson file is the documents' raw bytes end to end: its size is the sum of their lengths.
    assertThat((long) entries.get("app/users.bson").length)
        .isEqualTo(dump.collections().get(1).bytes());
    assertThat(
            MongoArchive.verify(
                dump.archive(), MongoArchive.readCollections(dump.collectionsFile())))
        .isEqualTo(2503);
  }

  @Test
  void restoreIntoASecondServerKeepsEveryTypeAndRecreatesIndexes() {
    seed();
    MongoDump dump = dumper().dump(source(List.of("app")), null, spool, bytes -> {});

    List<CollectionDump> restored =
        new MongoRestorer(connections)
            .restore(
                dump.archive(),
                new MongoTarget(targetUri, null, null, "app_copy", null, false),
                n -> {});

    assertThat(restored).extracting(CollectionDump::documents).containsExactly(2500L, 3L);
    try (MongoClient from = connections.open(sourceUri, null, null);
        MongoClient to = connections.open(targetUri, null, null)) {
      for (String collection : List.of("users", "events")) {
        assertThat(
                documents(to.getDatabase("app_copy").getCollection(collection, BsonDocument.class)))
            .isEqualTo(
                documents(from.getDatabase("app").getCollection(collection, BsonDocument.class)));
      }
      Document ada =
          to.getDatabase("app_copy")
              .getCollection("users")
              .find(new Document("name", "ada"))
              .first();
      assertThat(ada.get("_id")).isInstanceOf(ObjectId.class);
      assertThat(ada.get("joined")).isEqualTo(Date.from(Instant.parse("2024-02-29T12:00:00Z")));
      assertThat(((Binary) ada.get("avatar")).getData()).containsExactly(0, 1, 2, (byte) 255);
      assertThat(ada.get("balance")).isEqualTo(new Decimal128(new BigDecimal("1234.5678")));
      assertThat(((Document) ada.get("address")).get("city")).isEqualTo("Zürich");
      List<Document> indexes = new ArrayList<>();
      to.getDatabase("app_copy").getCollection("users").listIndexes().into(indexes);
      Document email =
          indexes.stream()
              .filter(index -> "email_1".equals(index.get("name")))
              .findFirst()
              .orElseThrow();
      assertThat(email.get("unique")).isEqualTo(true);
      // The unique index is live: a duplicate email is refused.
      assertThatThrownBy(
              () ->
                  to.getDatabase("app_copy")
                      .getCollection("users")
                      .insertOne(new Document("email", "ada@example.org")))
          .hasMessageContaining("duplicate key");
    }
  }

  @Test
  void restoreRefusesACollectionThatHoldsDocumentsUnlessForced() {
    seed();
    MongoDump dump = dumper().dump(source(List.of("app")), null, spool, bytes -> {});
    try (MongoClient to = connections.open(targetUri, null, null)) {
      to.getDatabase("app").getCollection("users").insertOne(new Document("name", "stale"));
    }
    MongoRestorer restorer = new MongoRestorer(connections);

    assertThatThrownBy(
            () ->
                restorer.restore(
                    dump.archive(),
                    new MongoTarget(targetUri, null, null, null, null, false),
                    n -> {}))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.TARGET_NOT_EMPTY))
        .hasMessageContaining("collection app.users already holds 1 documents")
        .hasMessageContaining("--force");
    try (MongoClient to = connections.open(targetUri, null, null)) {
      // Nothing was written: events was checked before any insert.
      assertThat(to.getDatabase("app").getCollection("events").countDocuments()).isZero();
    }

    restorer.restore(
        dump.archive(), new MongoTarget(targetUri, null, null, null, null, true), n -> {});

    try (MongoClient to = connections.open(targetUri, null, null)) {
      assertThat(to.getDatabase("app").getCollection("users").countDocuments()).isEqualTo(3);
      assertThat(
              to.getDatabase("app")
                  .getCollection("users")
                  .countDocuments(new Document("name", "stale")))
          .isZero();
    }
  }

  @Test
  void validationComparesCountsWithTheManifestAndRunsConfiguredQueries() {
    seed();
    MongoDump dump = dumper().dump(source(List.of("app")), null, spool, bytes -> {});
    MongoTarget copy = new MongoTarget(targetUri, null, null, "app_copy", null, false);
    new MongoRestorer(connections).restore(dump.archive(), copy, n -> {});
    MongoValidator validator = new MongoValidator(connections);

    ValidationResult passing =
        validator.validate(
            copy,
            dump.collections(),
            List.of(new MongoValidation(null, "users", "{\"active\": true}", 2, 2)));
    assertThat(passing.failures()).isEmpty();
    assertThat(passing.passed()).isTrue();
    assertThat(passing.checks()).contains("app_copy.users: 3 documents (backup: 3)");

    try (MongoClient to = connections.open(targetUri, null, null)) {
      to.getDatabase("app_copy").getCollection("events").deleteOne(new Document());
    }
    ValidationResult failing =
        validator.validate(
            copy,
            dump.collections(),
            List.of(new MongoValidation("app", "users", "{\"active\": true}", 3, -1)));
    assertThat(failing.passed()).isFalse();
    assertThat(failing.failures())
        .containsExactly(
            "app_copy.events: 2499 documents (backup: 2500)",
            "app.users {\"active\": true} >= 3: 2 documents");
  }

  @Test
  void aTruncatedDocumentInTheArchiveFailsVerifyAndRestoreNamingTheCollection() throws Exception {
    seed();
    MongoDump dump = dumper().dump(source(List.of("app")), null, spool, bytes -> {});
    Path corrupt = spool.resolve("corrupt.tar");
    Map<String, byte[]> entries = entries(dump.archive());
    byte[] users = entries.get("app/users.bson");
    // Cut the last document short by ten bytes, as a torn write would.
    entries.put("app/users.bson", java.util.Arrays.copyOf(users, users.length - 10));
    writeTar(corrupt, entries);

    assertThatThrownBy(() -> MongoArchive.verify(corrupt, dump.collections()))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID))
        .hasMessageContaining("collection app.users: document 3 at byte")
        .hasMessageContaining("truncated");
    assertThatThrownBy(
            () ->
                new MongoRestorer(connections)
                    .restore(
                        corrupt,
                        new MongoTarget(targetUri, null, null, null, null, false),
                        n -> {}))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.DUMP_INVALID))
        .hasMessageContaining("collection app.users: document 3");
  }

  @Test
  void anUnreachableServerIsOneLineNamingTheSourceAndHost() {
    int port = FreePorts.find();
    MongoSource unreachable =
        TestSources.source("docs", "mongodb://127.0.0.1:" + port + "/", null, List.of());

    assertThatThrownBy(() -> dumper().dump(unreachable, null, spool, bytes -> {}))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.SOURCE_UNREACHABLE))
        .hasMessage(
            "source 'docs': cannot reach MongoDB at 127.0.0.1:"
                + port
                + "; check that mongod runs there and the uri is right");
  }

  @Test
  void aRefusedLoginNamesTheUserButNeverThePassword() {
    seed();
    MongoSource withUser =
        TestSources.source("docs", sourceUri + "?authSource=admin", "backup", List.of("app"));

    assertThatThrownBy(() -> dumper().dump(withUser, "s3cr3t-Pa55", spool, bytes -> {}))
        .isInstanceOfSatisfying(
            VigilException.class,
            e -> {
              assertThat(e.type()).isEqualTo(ErrorType.AUTHENTICATION_FAILED);
              assertThat(e.getMessage())
                  .startsWith("source 'docs': MongoDB at " + MongoConnections.hosts(sourceUri))
                  .contains("refused user 'backup'")
                  .doesNotContain("s3cr3t-Pa55")
                  .doesNotContain("\n");
            });
  }

  @Test
  void aMissingDatabaseIsNamed() {
    seed();
    assertThatThrownBy(() -> dumper().dump(source(List.of("nope")), null, spool, bytes -> {}))
        .isInstanceOfSatisfying(
            VigilException.class, e -> assertThat(e.type()).isEqualTo(ErrorType.SOURCE_NOT_FOUND))
        .hasMessageStartingWith(
            "source 'docs': database 'nope' does not exist on MongoDB at 127.0.0.1:");
  }

  private MongoDriverDumper dumper() {
    return new MongoDriverDumper(connections);
  }

  private MongoSource source(List<String> databases) {
    return TestSources.source("docs", sourceUri, null, databases);
  }

  private void seed() {
    try (MongoClient client = connections.open(sourceUri, null, null)) {
      MongoSeed.seed(client);
      client.getDatabase("other").getCollection("ignored").insertOne(new Document("x", 1));
    }
  }

  private static List<BsonDocument> documents(MongoCollection<BsonDocument> collection) {
    return MongoSeed.documents(collection);
  }

  private static Map<String, byte[]> entries(Path archive) throws Exception {
    Map<String, byte[]> entries = new TreeMap<>();
    try (TarFile tar = new TarFile(archive)) {
      for (TarArchiveEntry entry : tar.getEntries()) {
        if (!entry.isDirectory()) {
          entries.put(entry.getName(), tar.getInputStream(entry).readAllBytes());
        }
      }
    }
    return entries;
  }

  private static void writeTar(Path file, Map<String, byte[]> entries) throws Exception {
    try (OutputStream out = Files.newOutputStream(file);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
        TarArchiveEntry header = new TarArchiveEntry(entry.getKey());
        header.setSize(entry.getValue().length);
        tar.putArchiveEntry(header);
        tar.write(entry.getValue());
        tar.closeArchiveEntry();
      }
    }
  }

  private static String uri(InetSocketAddress address) {
    return "mongodb://127.0.0.1:" + address.getPort() + "/";
  }
}
