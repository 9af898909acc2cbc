package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real files through the real loader: every mistake a person makes in vigil.yaml is one line that
 * names the line it is on, and the value given; never a parser dump or a Java type name.
 */
class ConfigErrorLinesTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);

  @TempDir Path dir;

  private final ConfigLoader loader = new ConfigLoader(Map.of("VIGIL_KEY", KEY)::get);

  /** Line numbers below count from here: line 1 is "repositories:". */
  private static final String VALID =
      """
      repositories:
        main: {bucket: vigil-backups}
      encryption:
        key-env: VIGIL_KEY
      sources:
        appdb:
          type: postgres
          host: db.internal
          database: app
          user: backup
        models:
          type: directory
          path: models
          kind: model
      """;

  @Test
  void aSecondSourcesBlockIsAnErrorNamingBothLines() throws IOException {
    Path file = write(VALID + "sources:\n  other:\n    type: directory\n    path: models\n");

    assertThat(problems(file))
        .containsExactly(
            file
                + ": sources at line 15: duplicate key \"sources\", first at line 5; merge the"
                + " two (YAML would silently keep only the last)");
  }

  @Test
  void aDuplicateKeyInsideASourceIsAnErrorNamingBothLines() throws IOException {
    Path file = write(VALID.replace("    user: backup\n", "    user: backup\n    host: db2\n"));

    assertThat(problems(file))
        .containsExactly(
            file
                + ": sources.appdb.host at line 11: duplicate key \"host\", first at line 8;"
                + " merge the two (YAML would silently keep only the last)");
  }

  @Test
  void aDuplicateSourceNameIsAnErrorNamingBothLines() throws IOException {
    Path file = write(VALID + "  appdb:\n    type: directory\n    path: models\n");

    assertThat(problems(file))
        .containsExactly(
            file
                + ": sources.appdb at line 15: duplicate source name \"appdb\", first defined at"
                + " line 6; rename one");
  }

  @Test
  void aDirectorySourceWhosePathDoesNotExistIsAnErrorNamingTheLine() throws IOException {
    Path file = write(VALID.replace("path: models", "path: /no/such/models"));

    assertThat(problems(file))
        .containsExactly(
            file
                + ": sources.models.path at line 13: no such directory: /no/such/models; create it"
                + " or fix the path");
  }

  @Test
  void aDirectorySourceWhosePathIsAFileIsAnErrorNamingTheLine() throws IOException {
    Files.writeString(dir.resolve("notes.txt"), "not a directory");
    Path file = write(VALID.replace("path: models", "path: notes.txt"));

    assertThat(problems(file))
        .containsExactly(
            file
                + ": sources.models.path at line 13: not a directory: "
                + dir.resolve("notes.txt")
                + "; create it or fix the path");
  }

  @Test
  void withoutLocalPathChecksAMissingDirectoryIsAccepted() throws IOException {
    Path file = write(VALID.replace("path: models", "path: /no/such/models"));

    VigilConfig config = loader.withoutLocalPathChecks().load(file);

    assertThat(((DirectorySourceConfig) config.sources().get("models")).path())
        .isEqualTo(Path.of("/no/such/models"));
  }

  @Test
  void aWordWhereAWholeNumberBelongsNamesTheValueGiven() throws IOException {
    Path file = write(VALID + "    retention:\n      keep-last: abc\n");

    assertThat(problems(file))
        .containsExactly(
            file
                + ": sources.models.retention.keep-last at line 16: expected a whole number of 0"
                + " or more, or \"unlimited\", got \"abc\"");
  }

  @Test
  void aListOrMappingWhereAValueBelongsSaysWhatWasGiven() throws IOException {
    Path file =
        write(
            VALID
                .replace("host: db.internal", "host: [db1, db2]")
                .replace("user: backup", "user: backup\n    port: {number: 5432}"));

    assertThat(problems(file))
        .containsExactlyInAnyOrder(
            file + ": sources.appdb.host at line 8: expected a single value, got a list",
            file
                + ": sources.appdb.port at line 11: expected a whole number from 1 to 65535, got"
                + " a mapping");
  }

  @Test
  void aTabInTheIndentationIsOneLineWithLineAndColumn() throws IOException {
    Path file = write(VALID.replace("    database: app", "\tdatabase: app"));

    assertThat(problems(file))
        .containsExactly(
            file + ": line 9, column 1: a tab in the indentation; YAML indents with spaces only");
  }

  @Test
  void bytesThatAreNotUtf8AreOneLineWithLineAndColumn() throws IOException {
    byte[] text = VALID.getBytes(StandardCharsets.UTF_8);
    int at = VALID.indexOf("db.internal");
    text[at + 2] = (byte) 0xff;
    Path file = dir.resolve("vigil.yaml");
    Files.write(file, text);

    assertThat(problems(file))
        .containsExactly(
            file
                + ": line 8, column 13: byte 0xff is not UTF-8 text; the config must be a YAML"
                + " text file");
  }

  @Test
  void aBinaryFileIsOneLineWithLineAndColumn() throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.write(file, new byte[] {'a', ':', ' ', 0, 1, 2, (byte) 0x89, 'P', 'N', 'G', 0});

    assertThat(problems(file))
        .containsExactly(
            file
                + ": line 1, column 4: control character 0x00; the config must be a YAML text file");
  }

  @Test
  void aParserErrorIsOneLineWithLineAndColumnAndNoParserDump() throws IOException {
    Path file = write(VALID.replace("    database: app", "    database: [app"));

    List<String> problems = problems(file);

    assertThat(problems)
        .containsExactly(
            file
                + ": line 10, column 9: malformed YAML: expected ',' or ']', but got : (while"
                + " parsing a flow sequence that starts at line 9, column 15)");
    assertThat(problems.get(0)).doesNotContainIgnoringCase("yaml.snakeyaml").doesNotContain("^");
  }

  @Test
  void aKeyWithoutAValueSeparatorIsOneLineWithLineAndColumn() throws IOException {
    Path file = write(VALID.replace("    user: backup", "    user backup\n    x: 1"));

    assertThat(problems(file))
        .containsExactly(
            file
                + ": line 11, column 5: malformed YAML: could not find expected ':' (while scanning"
                + " a simple key that starts at line 10, column 5)");
  }

  @Test
  void aPostgresSourceIsLogicalUnlessItSaysPhysical() throws IOException {
    PostgresSourceConfig logical =
        (PostgresSourceConfig) loader.load(write(VALID)).sources().get("appdb");
    PostgresSourceConfig physical =
        (PostgresSourceConfig)
            loader
                .load(
                    write(
                        VALID.replace(
                            "    user: backup\n",
                            "    user: backup\n    mode: physical\n    checkpoint: spread\n")))
                .sources()
                .get("appdb");

    assertThat(logical.mode()).isEqualTo("logical");
    assertThat(logical.physical()).isFalse();
    assertThat(logical.fastCheckpoint()).isTrue();
    assertThat(physical.physical()).isTrue();
    assertThat(physical.fastCheckpoint()).isFalse();
  }

  @Test
  void anUnknownPostgresModeIsAnErrorNamingItsLineAndValue() throws IOException {
    Path file = write(VALID.replace("    user: backup\n", "    user: backup\n    mode: wal\n"));

    assertThat(problems(file))
        .containsExactly(
            file
                + ": sources.appdb.mode at line 11: expected one of [logical, physical], got"
                + " \"wal\"");
  }

  @Test
  void aCheckpointOnALogicalSourceIsAnErrorNamingItsLine() throws IOException {
    Path file =
        write(VALID.replace("    user: backup\n", "    user: backup\n    checkpoint: spread\n"));

    assertThat(problems(file))
        .containsExactly(
            file
                + ": sources.appdb.checkpoint at line 11: applies only to mode: physical"
                + " (pg_basebackup); remove it or set mode: physical");
  }

  private List<String> problems(Path file) {
    try {
      loader.load(file);
    } catch (ConfigException e) {
      assertThat(e.getMessage()).isEqualTo(String.join("\n", e.problems()));
      return e.problems();
    }
    throw new AssertionError("expected a ConfigException for " + file);
  }

  private Path write(String yaml) throws IOException {
    Files.createDirectories(dir.resolve("models"));
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(file, yaml);
    return file;
  }
}
