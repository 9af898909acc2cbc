package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vigil up/demo --work-dir} wipe only directories vigil made; a user's files are safe. */
class UpWorkDirTest {
  @TempDir Path dir;

  @Test
  void upRefusesANonEmptyDirectoryItDidNotCreateAndTouchesNothing() throws IOException {
    Path mine = Files.createDirectories(dir.resolve("mine"));
    Path sentinel = Files.writeString(mine.resolve("thesis.tex"), "four years of work\n");

    CliRun run = CliRun.of("up", "--work-dir", mine.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .isEqualTo(
            "vigil: --work-dir "
                + mine
                + " is not empty and vigil did not create it (no .vigil-up marker); nothing was"
                + " touched. Pass a new or empty directory\n");
    assertThat(sentinel).hasContent("four years of work");
    try (var entries = Files.list(mine)) {
      assertThat(entries).containsExactly(sentinel);
    }
  }

  @Test
  void demoRefusesANonEmptyDirectoryItDidNotCreate() throws IOException {
    Path mine = Files.createDirectories(dir.resolve("mine"));
    Path sentinel = Files.writeString(mine.resolve("notes.txt"), "keep me\n");

    CliRun run = CliRun.of("demo", "--work-dir", mine.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).startsWith("vigil: --work-dir " + mine + " is not empty");
    assertThat(sentinel).hasContent("keep me");
  }

  @Test
  void aFileIsRefused() throws IOException {
    Path file = Files.writeString(dir.resolve("file"), "data\n");

    CliRun run = CliRun.of("up", "--work-dir", file.toString());

    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .isEqualTo(
            "vigil: --work-dir "
                + file
                + " is a file, not a directory; pass a new or empty directory\n");
    assertThat(file).hasContent("data");
  }

  @Test
  void aNewDirectoryIsCreatedAndMarked() throws IOException {
    Path work = WorkDir.claim(dir.resolve("new/work"));

    assertThat(work.resolve(WorkDir.MARKER)).isRegularFile();
    try (var entries = Files.list(work)) {
      assertThat(entries).containsExactly(work.resolve(WorkDir.MARKER));
    }
  }

  @Test
  void anEmptyDirectoryIsTakenAndMarked() throws IOException {
    Path empty = Files.createDirectories(dir.resolve("empty"));

    assertThat(WorkDir.claim(empty).resolve(WorkDir.MARKER)).isRegularFile();
  }

  @Test
  void aMarkedDirectoryFromAnEarlierRunIsWipedAndReused() throws IOException {
    Path work = WorkDir.claim(dir.resolve("work"));
    Files.createDirectories(work.resolve("postgres/base"));
    Files.writeString(work.resolve("postgres/base/1"), "old cluster");

    WorkDir.claim(work);

    assertThat(work.resolve("postgres")).doesNotExist();
    assertThat(work.resolve(WorkDir.MARKER)).isRegularFile();
  }
}
