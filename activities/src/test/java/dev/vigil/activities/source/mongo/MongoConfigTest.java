package dev.vigil.activities.source.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vigil.activities.config.ConfigException;
import dev.vigil.activities.config.ConfigLoader;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.config.VigilConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keys of {@code type: mongodb} sources in vigil.yaml. */
class MongoConfigTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  @TempDir Path dir;

  private final ConfigLoader loader =
      new ConfigLoader(Map.of("VIGIL_KEY", KEY, "MONGO_PW", "pw")::get);

  private static final String HEAD =
      """
      repositories:
        main:
          bucket: vigil-backups
      encryption:
        key-env: VIGIL_KEY
      sources:
        docs:
          type: mongodb
      """;

  @Test
  void readsAMongoSourceWithItsValidations() throws IOException {
    VigilConfig config =
        loader.load(
            write(
                HEAD
                    + """
                        uri: mongodb://db1:27017,db2:27017/?replicaSet=rs0&authSource=admin
                        user: backup
                        password-env: MONGO_PW
                        validations:
                          - collection: users
                            filter: {active: true, plan: {$in: [pro, team]}}
                            min-count: 10
                          - database: billing
                            collection: invoices
                            max-count: 0
                            filter: '{"paid": false, "due": {"$lt": {"$date": "2020-01-01T00:00:00Z"}}}'
                        drill-uri: mongodb://scratch:27017/
                    """));

    MongoSource docs = (MongoSource) config.sources().get("docs");
    assertThat(docs.type()).isEqualTo("mongodb");
    assertThat(docs.kind()).isEqualTo("database");
    assertThat(docs.user()).isEqualTo("backup");
    assertThat(docs.password()).isEqualTo(new SecretRef("MONGO_PW", null));
    assertThat(docs.tools()).isEqualTo("auto");
    assertThat(docs.databases()).isEmpty();
    assertThat(docs.useOplog()).as("a whole replica set is dumped with --oplog").isTrue();
    assertThat(docs.drillUri()).isEqualTo("mongodb://scratch:27017/");
    assertThat(docs.validations())
        .containsExactly(
            new MongoValidation(
                null, "users", "{\"active\":true,\"plan\":{\"$in\":[\"pro\",\"team\"]}}", 10, -1),
            new MongoValidation(
                "billing",
                "invoices",
                "{\"paid\": false, \"due\": {\"$lt\": {\"$date\": \"2020-01-01T00:00:00Z\"}}}",
                1,
                0));
  }

  @Test
  void aPasswordInTheUriIsRefusedWithoutRepeatingIt() throws IOException {
    ConfigException error =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                loader.load(
                    write(
                        HEAD
                            + """
                                uri: mongodb://backup:hunter2@db1:27017/
                            """)));

    assertThat(error.problems())
        .singleElement()
        .asString()
        .contains("sources.docs.uri at line 9: holds a user or password;")
        .contains("password-env or -file")
        .doesNotContain("hunter2");
  }

  @Test
  void impossibleCombinationsAndBadValidationsAreEachOneLine() throws IOException {
    ConfigException error =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                loader.load(
                    write(
                        HEAD
                            + """
                                uri: not-a-uri
                                databases: [app, billing]
                                tools: mongodump
                                oplog: true
                                validations:
                                  - filter: {a: 1}
                                  - collection: users
                                    filter: "{not json"
                                  - collection: users
                                    min-count: -1
                            """)));

    assertThat(error.problems())
        .hasSize(6)
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("sources.docs.uri")
                    .contains("not a MongoDB connection string"))
        .anySatisfy(
            line ->
                assertThat(line).contains("sources.docs.oplog").contains("dumps every database"))
        .anySatisfy(
            line -> assertThat(line).contains("sources.docs.databases").contains("one database"))
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("sources.docs.validations[0].collection")
                    .contains("missing"))
        .anySatisfy(line -> assertThat(line).contains("sources.docs.validations[1].filter"))
        .anySatisfy(line -> assertThat(line).contains("sources.docs.validations[2].min-count"));
  }

  @Test
  void theDrillPrefixIsShortAndStablePerRestore() {
    String prefix = MongoDriver.drillPrefix("drill-nightly-20261203T120000Z-restore-docs");

    assertThat(prefix).matches("vigil_drill_[0-9a-f]{12}_");
    assertThat(MongoDriver.drillPrefix("drill-nightly-20261203T120000Z-restore-docs"))
        .isEqualTo(prefix);
    assertThat(MongoDriver.drillPrefix("drill-nightly-20261204T120000Z-restore-docs"))
        .isNotEqualTo(prefix);
    assertThat(List.of(prefix)).allSatisfy(p -> assertThat(p.length()).isLessThan(30));
  }

  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(file, yaml);
    return file;
  }
}
