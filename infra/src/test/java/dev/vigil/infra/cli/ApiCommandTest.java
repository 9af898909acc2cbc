package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code vigil api} refuses configurations it cannot serve safely, with one line and exit 2. */
class ApiCommandTest {
  @TempDir Path dir;

  private static final String BASE =
      """
      repositories:
        main:
          bucket: vigil-backups
      encryption:
        key-file: vigil.key
      sources:
        models:
          type: directory
          kind: model
          path: data/models
      """;

  @Test
  void aConfigWithoutTokensDoesNotStartAnAnonymousApi() throws IOException {
    Files.writeString(dir.resolve("catalog.password"), "secret");
    Path config =
        write(
            BASE
                + """
                catalog:
                  jdbc-url: jdbc:postgresql://127.0.0.1:1/vigil
                  user: vigil
                  password-file: catalog.password
                api:
                  port: 0
                """);

    Run run = run("api", "--config", config.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .isEqualTo(
            "vigil: api.tokens: no tokens configured; add one (role viewer or operator, token-env"
                + " or token-file) under api.tokens in vigil.yaml: the API has no anonymous"
                + " access\n");
  }

  @Test
  void aConfigWithoutACatalogIsNamed() throws IOException {
    Path config = write(BASE);

    Run run = run("api", "--config", config.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .isEqualTo(
            "vigil: "
                + config
                + ": catalog: missing; the API lists backups from the catalog, add a catalog"
                + " section (jdbc-url, user, password-env or password-file)\n");
  }

  private Path write(String yaml) throws IOException {
    Files.writeString(dir.resolve("vigil.key"), Base64.getEncoder().encodeToString(new byte[32]));
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private record Run(int exit, String err) {}

  private static Run run(String... args) {
    CommandLine commandLine = VigilMain.commandLine();
    StringWriter err = new StringWriter();
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args);
    return new Run(exit, err.toString());
  }
}
