package dev.vigil.activities.restore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restored cluster's {@code restore_command}, run the way PostgreSQL runs it: its placeholders
 * expanded ({@code %f}, {@code %p}, {@code %%}), then {@code sh -c}. A spool path with a quote, a
 * space, a percent sign and a {@code $} still copies the right file, and a file the directory does
 * not hold exits non-zero (the end of the archive for PostgreSQL) and writes nothing.
 */
class PointInTimeRecoveryTest {
  @TempDir Path dir;

  @Test
  void theRestoreCommandCopiesFromAHostilelyNamedDirectoryAndFailsForAMissingFile()
      throws Exception {
    Path wal = Files.createDirectories(dir.resolve("it's 100% $HOME `x`"));
    String segment = "000000010000000000000003";
    Files.writeString(wal.resolve(segment), "segment bytes", StandardCharsets.UTF_8);
    String command = PointInTimeRecovery.restoreCommand(wal);
    Path target = Files.createDirectories(dir.resolve("pg_wal")).resolve("RECOVERYXLOG");

    assertThat(run(command, segment, target)).isZero();
    assertThat(Files.readString(target)).isEqualTo("segment bytes");

    Files.delete(target);
    assertThat(run(command, "000000010000000000000004", target)).isNotZero();
    assertThat(target).doesNotExist();
  }

  /** PostgreSQL's expansion of restore_command (xlogarchive.c), then the shell. */
  private int run(String command, String file, Path target) throws Exception {
    StringBuilder expanded = new StringBuilder();
    for (int i = 0; i < command.length(); i++) {
      char c = command.charAt(i);
      if (c == '%' && i + 1 < command.length()) {
        char next = command.charAt(++i);
        switch (next) {
          case 'f' -> expanded.append(file);
          case 'p' -> expanded.append(target);
          case '%' -> expanded.append('%');
          default -> expanded.append('%').append(next);
        }
      } else {
        expanded.append(c);
      }
    }
    Process process =
        new ProcessBuilder("sh", "-c", expanded.toString())
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    process.getInputStream().readAllBytes();
    return process.waitFor();
  }
}
