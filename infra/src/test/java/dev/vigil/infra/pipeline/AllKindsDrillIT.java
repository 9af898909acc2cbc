package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.vigil.activities.source.redis.FreshRedisServers;
import dev.vigil.activities.testing.RedisFixture;
import dev.vigil.starter.DrillClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.drill.DrillComponent;
import dev.vigil.workflows.drill.DrillReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DR drill of one backup set that spans every source kind: a PostgreSQL database (real
 * PostgreSQL 15), a model directory, a Redis snapshot (real redis-server) and a MongoDB database
 * (mongo-java-server, the stand-in for mongod), backed up by one plan through S3Mock and the
 * Temporal test server, then restored side by side into one drill environment, validated, timed,
 * and torn down.
 */
class AllKindsDrillIT {
  @TempDir static Path dir;

  private static PipelineHarness harness;
  private static RedisFixture redis;
  private static MongoServer mongo;
  private static MongoServer scratch;
  private static int mongoPort;
  private static int scratchPort;
  private static PlanResult backup;

  @BeforeAll
  static void backUpEveryKindInOnePlan() throws Exception {
    harness = new PipelineHarness(dir);
    redis = RedisFixture.start();
    redis.fill(0, "user:", 500);
    mongo = new MongoServer(new MemoryBackend());
    scratch = new MongoServer(new MemoryBackend());
    mongoPort = mongo.bind().getPort();
    scratchPort = scratch.bind().getPort();
    try (MongoClient client = client(mongoPort)) {
      List<Document> users = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        users.add(new Document("n", i).append("active", i % 3 == 0));
      }
      client.getDatabase("app").getCollection("users").insertMany(users);
    }
    backup = harness.run(harness.load(config()), List.of());
  }

  @AfterAll
  static void tearDownAll() {
    if (harness != null) {
      harness.close();
    }
    if (redis != null) {
      redis.close();
    }
    if (mongo != null) {
      mongo.shutdownNow();
    }
    if (scratch != null) {
      scratch.shutdownNow();
    }
  }

  @Test
  void oneDrillRestoresPostgresRedisMongoAndDirectoriesOfOneSetAndMeasuresRtoAndRpo()
      throws Exception {
    assertThat(backup.complete()).as("every kind archived in one plan").isTrue();
    harness.startWorker(harness.load(config()));
    DrillClient drills =
        new DrillClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());

    String drillId = drills.start("everything", System.currentTimeMillis() + 10_000, "test");
    DrillReport report = drills.await(drillId);

    assertThat(report.failures()).isEmpty();
    assertThat(report.status()).isEqualTo(DrillReport.PASSED);
    assertThat(report.setId()).isEqualTo(backup.setId());
    Map<String, DrillComponent> components =
        report.components().stream()
            .collect(Collectors.toMap(DrillComponent::source, Function.identity()));
    assertThat(components).containsOnlyKeys("appdb", "models", "cache", "docs");
    assertThat(components.values())
        .allSatisfy(
            component -> {
              assertThat(component.status()).isEqualTo("RESTORED");
              assertThat(component.passed()).isTrue();
              assertThat(component.rtoMillis()).isPositive();
              assertThat(component.rpoMillis()).isPositive();
            });
    assertThat(components.get("cache").checks()).contains("db0: 500 keys as recorded");
    assertThat(components.get("docs").checks())
        .anySatisfy(check -> assertThat(check).endsWith(".users: 30 documents (backup: 30)"));
    assertThat(report.totalRtoMillis()).isPositive();
    assertThat(report.worstRpoMillis())
        .isGreaterThanOrEqualTo(
            components.values().stream().mapToLong(DrillComponent::rpoMillis).max().orElse(0));
    // Torn down: the drill's redis-server is stopped, its MongoDB databases dropped.
    assertThat(FreshRedisServers.shared().find(drillId + "-restore-cache")).isEmpty();
    try (MongoClient client = client(scratchPort)) {
      List<String> left = new ArrayList<>();
      client.listDatabaseNames().into(left);
      assertThat(left).noneMatch(name -> name.startsWith("vigil_drill_"));
    }
  }

  private static String config() {
    return harness.config()
        + """
          cache:
            type: redis
            host: 127.0.0.1
            port: %d
            password-file: %s
        """
            .formatted(redis.port(), redis.passwordFile())
        + MongoSources.docs(mongoPort, 10)
        + "    drill-uri: mongodb://127.0.0.1:%d/\n".formatted(scratchPort)
        + """
        drills:
          everything:
            sources: [appdb, models, cache, docs]
        """;
  }

  private static MongoClient client(int port) {
    return MongoClients.create("mongodb://127.0.0.1:" + port + "/");
  }
}
