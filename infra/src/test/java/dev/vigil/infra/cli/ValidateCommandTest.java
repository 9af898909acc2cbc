package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vigil validate}: a bad file is exactly one line on stderr per problem, and exit 2. */
class ValidateCommandTest {
  @TempDir Path dir;

  private static final String GOOD =
      """
      repositories:
        main: {bucket: vigil-backups}
      encryption:
        key-file: vigil.key
      sources:
        models:
          type: directory
          kind: model
          path: models
      """;

  @Test
  void aSecondSourcesBlockPrintsOneLineNamingBothLinesAndExits2() throws IOException {
    Path bad = write(GOOD + "sources:\n  other:\n    type: directory\n    path: models\n");

    CliRun run = CliRun.of("validate", "--config", bad.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .isEqualTo(
            bad
                + ": sources at line 10: duplicate key \"sources\", first at line 5; merge the two"
                + " (YAML would silently keep only the last)\n");
  }

  @Test
  void aTabPrintsOneLineWithLineAndColumnAndExits2() throws IOException {
    Path bad = write(GOOD.replace("    kind: model", "\tkind: model"));

    CliRun run = CliRun.of("validate", "--config", bad.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .isEqualTo(
            bad + ": line 8, column 1: a tab in the indentation; YAML indents with spaces only\n");
  }

  @Test
  void aMissingSourceDirectoryPrintsOneLineWithItsLineAndExits2() throws IOException {
    Path bad = write(GOOD.replace("path: models", "path: gone"));

    CliRun run = CliRun.of("validate", "--config", bad.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .isEqualTo(
            bad
                + ": sources.models.path at line 9: no such directory: "
                + dir.resolve("gone")
                + "; create it or fix the path\n");
  }

  @Test
  void aGoodFileIsOneOkLine() throws IOException {
    Path good = write(GOOD);

    CliRun run = CliRun.of("validate", "--config", good.toString());

    assertThat(run.exit()).isZero();
    assertThat(run.err()).isEmpty();
    assertThat(run.out())
        .isEqualTo(good + ": OK: 1 source [models], 1 repository [main], 1 drill plan [default]\n");
  }

  private Path write(String yaml) throws IOException {
    Files.writeString(dir.resolve("vigil.key"), Base64.getEncoder().encodeToString(new byte[32]));
    Files.createDirectories(dir.resolve("models"));
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, yaml);
    return file;
  }
}
