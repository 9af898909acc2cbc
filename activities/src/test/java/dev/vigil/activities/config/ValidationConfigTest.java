package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sources.<name>.validations}: parsing, every problem message, and the comparisons. */
class ValidationConfigTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  @TempDir Path dir;

  private final ConfigLoader loader = new ConfigLoader(Map.of("VIGIL_KEY", KEY, "PGPW", "pw")::get);

  private static final String CONFIG =
      """
      catalog:
        jdbc-url: jdbc:postgresql://127.0.0.1:5432/vigil
        user: vigil
        password-env: PGPW
      repositories:
        main:
          bucket: vigil-backups
      encryption:
        key-env: VIGIL_KEY
      sources:
        appdb:
          type: postgres
          host: db.internal
          database: app
          user: backup
          password-env: PGPW
      %s
      """;

  @Test
  void parsesValidationQueriesOfASource() throws IOException {
    VigilConfig config =
        loader.load(
            write(
                """
                    validations:
                      - name: recent-conversations
                        query: "SELECT count(*) FROM conversations WHERE started_at > now() - interval '400 days'"
                        expect: "> 0"
                      - {name: no-orphans, query: "SELECT count(*) FROM feedback WHERE x IS NULL", expect: "= 0"}
                """));

    assertThat(config.validations().get("appdb"))
        .containsExactly(
            new ValidationConfig(
                "recent-conversations",
                "SELECT count(*) FROM conversations WHERE started_at > now() - interval '400 days'",
                "> 0"),
            new ValidationConfig(
                "no-orphans", "SELECT count(*) FROM feedback WHERE x IS NULL", "= 0"));
  }

  @Test
  void reportsAMissingQueryABadExpectationAnUnknownFieldAndADuplicateName() throws IOException {
    Path file =
        write(
            """
                validations:
                  - {name: a, expect: "> 0"}
                  - {name: b, query: "SELECT 1", expect: "about 5"}
                  - {name: c, query: "SELECT 1", expect: ">= 1", when: nightly}
                  - {name: c, query: "SELECT 2", expect: "<= 3"}
                  - {name: d, query: "SELECT 1"}
            """);

    assertThatThrownBy(() -> loader.load(file))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .containsExactly(
                        file
                            + ": sources.appdb.validations[0].query: missing; a query returning"
                            + " one number (in sources.appdb.validations[0] at line 18)",
                        file
                            + ": sources.appdb.validations[1].expect at line 19: expected a comparison with"
                            + " a number such as \"> 0\", \">= 1000\" or \"= 0\", got \"about 5\"",
                        file
                            + ": sources.appdb.validations[2].when at line 20: unknown field; expected one of"
                            + " [name, query, expect]",
                        file
                            + ": sources.appdb.validations[3].name at line 21: duplicate validation name \"c\"",
                        file
                            + ": sources.appdb.validations[4].expect: missing; e.g. \"> 0\""
                            + " (in sources.appdb.validations[4] at line 22)"));
  }

  @Test
  void aValidationsSectionThatIsNotAListIsReported() throws IOException {
    Path file = write("    validations: {name: a}\n");

    assertThatThrownBy(() -> loader.load(file))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .singleElement()
                    .asString()
                    .contains("sources.appdb.validations at line 17: expected a list"));
  }

  @Test
  void expectationsCompareNumbers() {
    List<String> accepting = List.of("> 0", ">= 5", "= 5", "== 5", "<= 5", "< 6", "!= 4");
    for (String expect : accepting) {
      assertThat(new ValidationConfig("n", "q", expect).accepts(new BigDecimal(5)))
          .as(expect)
          .isTrue();
    }
    List<String> refusing = List.of("> 5", ">= 6", "= 4", "<= 4", "< 5", "!= 5");
    for (String expect : refusing) {
      assertThat(new ValidationConfig("n", "q", expect).accepts(new BigDecimal(5)))
          .as(expect)
          .isFalse();
    }
    assertThat(new ValidationConfig("n", "q", ">= 0.5").accepts(new BigDecimal("0.75"))).isTrue();
  }

  private Path write(String validations) throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(file, CONFIG.formatted(validations.stripTrailing()));
    return file;
  }
}
