package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.testing.MongoSeed;
import dev.vigil.starter.RestoreClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.backup.SourceBackupResult;
import dev.vigil.workflows.common.Failures;
import dev.vigil.workflows.restore.RestoreRequest;
import dev.vigil.workflows.restore.RestoreResult;
import dev.vigil.workflows.restore.RestoreSelector;
import dev.vigil.workflows.restore.RestoreTarget;
import io.temporal.client.WorkflowFailedException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.types.Binary;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A MongoDB source through the real pipeline: the driver path dumps a mongo-java-server (a MongoDB
 * wire-protocol emulator in this JVM, not mongod), the backup is sealed, uploaded to S3Mock and
 * catalogued by the backup workflow on Temporal's test server, then restored by the restore
 * workflow into a second mongo-java-server and validated there.
 */
class MongoPipelineIT {
  private static final AtomicLong CLOCK = new AtomicLong(1_900_000_000_000L);

  @TempDir static Path dir;

  private static PipelineHarness harness;
  private static MongoServer source;
  private static MongoServer target;
  private static int sourcePort;
  private static int targetPort;
  private static PlanResult backup;

  @BeforeAll
  static void backUpOnce() throws Exception {
    source = new MongoServer(new MemoryBackend());
    target = new MongoServer(new MemoryBackend());
    sourcePort = source.bind().getPort();
    targetPort = target.bind().getPort();
    seed();
    harness = new PipelineHarness(dir);
    backup = harness.run(harness.load(config(2)), List.of("docs"));
    assertThat(backup.complete()).as(String.valueOf(backup)).isTrue();
    // Changes after the backup must not show up in a restore of it.
    try (MongoClient client = client(sourcePort)) {
      client.getDatabase("app").getCollection("users").insertOne(new Document("name", "late"));
    }
  }

  @AfterAll
  static void tearDownAll() {
    if (harness != null) {
      harness.close();
    }
    source.shutdownNow();
    target.shutdownNow();
  }

  @Test
  void theManifestRecordsEveryCollectionsDocumentCount() throws Exception {
    SourceBackupResult docs = backup.results().get(0);
    JsonNode manifest;
    try (InputStream in =
        harness.s3.client().getObject(b -> b.bucket(harness.bucket).key(docs.manifestKey()))) {
      manifest = Json.MAPPER.readTree(in);
    }

    assertThat(manifest.path("source").path("type").asText()).isEqualTo("mongodb");
    assertThat(manifest.path("dump").path("format").asText()).isEqualTo("mongodb-dump-tar");
    assertThat(manifest.path("dump").path("totalRows").asLong()).isEqualTo(2503);
    assertThat(manifest.path("consistency").asText()).contains("per collection");
    List<String> counts = new ArrayList<>();
    manifest
        .path("collections")
        .forEach(
            c ->
                counts.add(
                    c.path("database").asText()
                        + "."
                        + c.path("collection").asText()
                        + "="
                        + c.path("documents").asLong()));
    assertThat(counts).containsExactly("app.events=2500", "app.users=3");
  }

  @Test
  void aBackupRestoresIntoASecondServerWithItsTypesAndIndexesAndValidates() throws Exception {
    harness.startWorker(harness.load(config(2)));

    RestoreResult result = restore(targetOf("app_copy"), false);

    assertThat(result.status()).as(result.failure()).isEqualTo("RESTORED");
    assertThat(result.validation().checks())
        .contains(
            "app_copy.users: 3 documents (backup: 3)",
            "app_copy.events: 2500 documents (backup: 2500)",
            "users {\"active\":true} >= 2: 2 documents");
    try (MongoClient from = client(sourcePort);
        MongoClient to = client(targetPort)) {
      assertThat(documents(to.getDatabase("app_copy").getCollection("events", BsonDocument.class)))
          .isEqualTo(
              documents(from.getDatabase("app").getCollection("events", BsonDocument.class)));
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
      assertThat(
              to.getDatabase("app_copy")
                  .getCollection("users")
                  .countDocuments(new Document("name", "late")))
          .isZero();
      List<Document> indexes = new ArrayList<>();
      to.getDatabase("app_copy").getCollection("users").listIndexes().into(indexes);
      assertThat(indexes).anySatisfy(index -> assertThat(index.get("name")).isEqualTo("email_1"));
    }
  }

  @Test
  void aTargetCollectionWithDocumentsIsRefusedUnlessForced() throws Exception {
    harness.startWorker(harness.load(config(2)));
    try (MongoClient to = client(targetPort)) {
      to.getDatabase("busy").getCollection("users").insertOne(new Document("name", "keep?"));
    }

    assertThatThrownBy(() -> restore(targetOf("busy"), false))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            failure -> {
              assertThat(Failures.type(failure)).isEqualTo("TARGET_NOT_EMPTY");
              assertThat(Failures.reason(failure))
                  .contains(
                      "restore target MongoDB at 127.0.0.1:"
                          + targetPort
                          + ": collection busy.users already holds 1 documents");
            });
    try (MongoClient to = client(targetPort)) {
      assertThat(to.getDatabase("busy").getCollection("events").countDocuments()).isZero();
    }

    RestoreResult forced = restore(targetOf("busy"), true);

    assertThat(forced.status()).as(forced.failure()).isEqualTo("RESTORED");
    try (MongoClient to = client(targetPort)) {
      assertThat(to.getDatabase("busy").getCollection("users").countDocuments()).isEqualTo(3);
    }
  }

  @Test
  void aConfiguredQueryThatFindsTooFewDocumentsFailsTheRestore() throws Exception {
    harness.startWorker(harness.load(config(50)));

    RestoreResult result = restore(targetOf("app_short"), false);

    assertThat(result.status()).isEqualTo("FAILED");
    assertThat(result.validation().passed()).isFalse();
    assertThat(result.validation().failures())
        .containsExactly("users {\"active\":true} >= 50: 2 documents");
  }

  @Test
  void aBackupRestoredIntoADirectoryIsTheMongodumpLayoutForMongorestore() throws Exception {
    harness.startWorker(harness.load(config(2)));
    Path into = dir.resolve("mongo-files");

    RestoreResult result = restore(RestoreTarget.directory(into.toString()), false);

    assertThat(result.status()).as(result.failure()).isEqualTo("RESTORED");
    assertThat(result.validation().checks())
        .containsExactly(
            "app.events: 2500 documents (backup: 2500)", "app.users: 3 documents (backup: 3)");
    assertThat(into.resolve("app/users.bson")).isRegularFile();
    BsonDocument metadata =
        BsonDocument.parse(java.nio.file.Files.readString(into.resolve("app/users.metadata.json")));
    assertThat(metadata.getString("collectionName").getValue()).isEqualTo("users");
    // The .bson file is the documents end to end: decoding it gives the source's documents.
    List<BsonDocument> decoded = new ArrayList<>();
    java.nio.ByteBuffer bytes =
        java.nio.ByteBuffer.wrap(java.nio.file.Files.readAllBytes(into.resolve("app/events.bson")))
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    while (bytes.hasRemaining()) {
      byte[] document = new byte[bytes.getInt(bytes.position())];
      bytes.get(document);
      decoded.add(new org.bson.RawBsonDocument(document).toBsonDocument());
    }
    try (MongoClient from = client(sourcePort)) {
      assertThat(decoded)
          .isEqualTo(
              documents(from.getDatabase("app").getCollection("events", BsonDocument.class)));
    }
  }

  private RestoreResult restore(RestoreTarget into, boolean force) {
    RestoreClient client =
        new RestoreClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    String id =
        client.start(
            new RestoreRequest(RestoreSelector.latest("docs"), into, force, 0, "mongo-it"),
            CLOCK.addAndGet(1000));
    return client.await(id);
  }

  private static RestoreTarget targetOf(String database) {
    return new RestoreTarget("database", "127.0.0.1", targetPort, database, null, null, null);
  }

  private static String config(int minActive) {
    return harness.config() + MongoSources.docs(sourcePort, minActive);
  }

  private static void seed() {
    try (MongoClient client = client(sourcePort)) {
      MongoSeed.seed(client);
    }
  }

  private static MongoClient client(int port) {
    return MongoClients.create("mongodb://127.0.0.1:" + port + "/");
  }

  private static List<BsonDocument> documents(MongoCollection<BsonDocument> collection) {
    return MongoSeed.documents(collection);
  }
}
