package dev.vigil.activities.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code worker.restore-roots}: absolute directories only, each problem naming its element. */
class RestoreRootsConfigTest {
  private static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);
  private static final String BASE =
      """
      worker:
        spool-dir: /var/spool/vigil
      %s
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
      """;

  @TempDir Path dir;

  private final ConfigLoader loader = new ConfigLoader(Map.of("VIGIL_KEY", KEY)::get);

  @Test
  void noRootsByDefault() throws IOException {
    assertThat(loader.load(write("")).worker().restoreRoots()).isEmpty();
  }

  @Test
  void absoluteRootsAreKeptNormalized() throws IOException {
    VigilConfig config = loader.load(write("  restore-roots: [/srv/restores/, /data//restored]"));

    assertThat(config.worker().restoreRoots())
        .containsExactly(Path.of("/srv/restores"), Path.of("/data/restored"));
  }

  @Test
  void relativeDotDotRootAndNonTextRootsAreRefusedNamingTheElement() throws IOException {
    Path file = write("  restore-roots: [restores, /srv/../etc, /, 42]");

    assertThatThrownBy(() -> loader.load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        file
                            + ": worker.restore-roots[0] at line 3: expected an absolute path without '..',"
                            + " got \"restores\"",
                        file
                            + ": worker.restore-roots[1] at line 3: expected an absolute path without '..',"
                            + " got \"/srv/../etc\"",
                        file
                            + ": worker.restore-roots[2] at line 3: the file system root is not allowed as a"
                            + " restore root",
                        file
                            + ": worker.restore-roots[3] at line 3: expected an absolute directory such as"
                            + " /srv/restores, got 42"));
  }

  @Test
  void aSingleStringIsNotAList() throws IOException {
    Path file = write("  restore-roots: /srv/restores");

    assertThatThrownBy(() -> loader.load(file))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        file
                            + ": worker.restore-roots at line 3: expected a list of absolute directories such"
                            + " as [/srv/restores]"));
  }

  private Path write(String roots) throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(file, BASE.formatted(roots));
    return file;
  }
}
