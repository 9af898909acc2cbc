package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiConfigParserTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  @TempDir Path dir;

  private final ConfigLoader loader =
      new ConfigLoader(Map.of("VIGIL_KEY", KEY, "VIGIL_OPS_TOKEN", "s3cr3t-token")::get);

  private static final String BASE =
      """
      repositories:
        main:
          bucket: vigil-backups
      encryption:
        key-env: VIGIL_KEY
      sources:
        models:
          type: directory
          kind: model
          path: data/models
      """;

  @Test
  void withoutAnApiSectionTheDefaultsApplyAndThereAreNoTokens() throws IOException {
    VigilConfig config = loader.load(write(BASE));

    assertThat(config.api()).isEqualTo(ApiConfig.NONE);
    assertThat(config.api().port()).isEqualTo(8080);
    assertThat(config.api().bind()).isEqualTo("0.0.0.0");
  }

  @Test
  void tokensAreReferencesWithARole() throws IOException {
    Files.writeString(dir.resolve("viewer.token"), "another-token\n");
    VigilConfig config =
        loader.load(
            write(
                BASE
                    + """
                    api:
                      port: 9080
                      bind: 127.0.0.1
                      tokens:
                        ops: {role: operator, token-env: VIGIL_OPS_TOKEN}
                        dashboards: {role: viewer, token-file: viewer.token}
                    """));

    assertThat(config.api().port()).isEqualTo(9080);
    assertThat(config.api().bind()).isEqualTo("127.0.0.1");
    assertThat(config.api().tokens())
        .containsExactly(
            Map.entry(
                "ops",
                new ApiTokenConfig("ops", "operator", new SecretRef("VIGIL_OPS_TOKEN", null))),
            Map.entry(
                "dashboards",
                new ApiTokenConfig(
                    "dashboards", "viewer", new SecretRef(null, dir.resolve("viewer.token")))));
    assertThat(config.api().tokens().toString()).doesNotContain("s3cr3t", "another-token");
  }

  @Test
  void unknownRoleMissingReferenceAndBadPortAreNamed() throws IOException {
    Path file =
        write(
            BASE
                + """
                api:
                  port: 70000
                  tokens:
                    ops: {role: admin, token-env: VIGIL_OPS_TOKEN}
                    ci: {role: viewer}
                    old: {role: viewer, token-file: nowhere.token}
                    Bad: {role: viewer, token-env: VIGIL_OPS_TOKEN}
                """);

    ConfigException problems = catchThrowableOfType(ConfigException.class, () -> loader.load(file));

    assertThat(problems.problems())
        .containsExactlyInAnyOrder(
            file + ": api.port at line 12: expected a whole number from 0 to 65535, got \"70000\"",
            file
                + ": api.tokens.ops.role at line 14: expected one of [operator, viewer], got \"admin\"",
            file
                + ": api.tokens.ci.token-env: missing; set token-env or token-file (in api.tokens.ci at line 15)",
            file
                + ": api.tokens.old.token-file at line 16: no such file: "
                + dir.resolve("nowhere.token"),
            file
                + ": api.tokens.Bad at line 17: token names are lower-case letters, digits, '_' and '-' (runs"
                + " record them)");
    assertThat(String.join("\n", problems.problems())).doesNotContain("s3cr3t");
  }

  private Path write(String yaml) throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.createDirectories(dir.resolve("data/models"));
    Files.writeString(file, yaml);
    return file;
  }
}
