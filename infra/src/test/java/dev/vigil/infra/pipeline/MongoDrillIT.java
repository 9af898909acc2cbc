package dev.vigil.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.vigil.starter.DrillClient;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.drill.DrillComponent;
import dev.vigil.workflows.drill.DrillReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DR drills of a MongoDB source. Vigil cannot start a mongod (none can be installed here, and a
 * worker host need not have one), so a drill restores into the scratch MongoDB the source names in
 * {@code drill-uri}, under database names with a per-drill prefix that teardown drops; here the
 * scratch server is a second mongo-java-server (an emulator, not mongod).
 */
class MongoDrillIT {
  @TempDir static Path dir;

  private static PipelineHarness harness;
  private static MongoServer source;
  private static MongoServer scratch;
  private static int sourcePort;
  private static int scratchPort;

  @BeforeAll
  static void backUpOnce() throws Exception {
    source = new MongoServer(new MemoryBackend());
    scratch = new MongoServer(new MemoryBackend());
    sourcePort = source.bind().getPort();
    scratchPort = scratch.bind().getPort();
    try (MongoClient client = client(sourcePort)) {
      List<Document> users = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        users.add(new Document("n", i).append("active", i % 2 == 0));
      }
      client.getDatabase("app").getCollection("users").insertMany(users);
    }
    harness = new PipelineHarness(dir);
    PlanResult backup = harness.run(harness.load(config(true)), List.of("docs"));
    assertThat(backup.complete()).isTrue();
  }

  @AfterAll
  static void tearDownAll() {
    if (harness != null) {
      harness.close();
    }
    source.shutdownNow();
    scratch.shutdownNow();
  }

  @Test
  void aDrillRestoresIntoTheScratchMongoValidatesAndDropsItsDatabases() throws Exception {
    harness.startWorker(harness.load(config(true)));

    DrillReport report = drill();

    assertThat(report.failures()).isEmpty();
    assertThat(report.status()).isEqualTo(DrillReport.PASSED);
    DrillComponent docs = report.components().get(0);
    assertThat(docs.status()).isEqualTo("RESTORED");
    assertThat(docs.checks())
        .anySatisfy(
            check ->
                assertThat(check)
                    .matches("vigil_drill_[0-9a-f]{12}_app\\.users: 40 documents \\(backup: 40\\)"))
        .anySatisfy(
            check -> assertThat(check).isEqualTo("users {\"active\":true} >= 20: 20 documents"));
    try (MongoClient client = client(scratchPort)) {
      List<String> left = new ArrayList<>();
      client.listDatabaseNames().into(left);
      assertThat(left)
          .as("the drill's databases are dropped on teardown")
          .noneMatch(name -> name.startsWith("vigil_drill_"));
    }
  }

  @Test
  void withoutAScratchMongoTheDrillFailsSayingWhatToConfigure() throws Exception {
    harness.startWorker(harness.load(config(false)));

    DrillReport report = drill();

    assertThat(report.status()).isEqualTo(DrillReport.FAILED);
    assertThat(String.join("\n", report.failures()))
        .contains(
            "source 'docs': a drill restores MongoDB into a scratch MongoDB that Vigil cannot start")
        .contains("set sources.docs.drill-uri");
  }

  private static DrillReport drill() throws Exception {
    DrillClient drills =
        new DrillClient(
            harness.workflowClient(), harness.services().config().temporal().taskQueue());
    String drillId = drills.start("mongo", System.currentTimeMillis() + 10_000, "test");
    return harness
        .workflowClient()
        .newUntypedWorkflowStub(drillId)
        .getResultAsync(DrillReport.class)
        .get(3, TimeUnit.MINUTES);
  }

  private static String config(boolean withScratch) {
    return harness.config()
        + MongoSources.docs(sourcePort, 20)
        + (withScratch ? "    drill-uri: mongodb://127.0.0.1:%d/\n".formatted(scratchPort) : "")
        + """
        drills:
          mongo:
            sources: [docs]
        """;
  }

  private static MongoClient client(int port) {
    return MongoClients.create("mongodb://127.0.0.1:" + port + "/");
  }
}
