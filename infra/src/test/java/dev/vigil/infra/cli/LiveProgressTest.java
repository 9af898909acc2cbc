package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.starter.read.ActivityProgress;
import dev.vigil.starter.read.RunStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiveProgressTest {
  @TempDir Path dir;

  @Test
  void redrawsOverThePreviousFrameAndErasesItWhenClosed() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream terminal = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    AtomicInteger polls = new AtomicInteger();
    CountDownLatch twoFrames = new CountDownLatch(2);
    RunStatus dumping =
        plan(run("backup-appdb-1", "dump", List.of()), run("backup-models-1", "dump", List.of()));
    RunStatus uploading = plan(run("backup-appdb-1", "upload", List.of()));
    List<RunStatus> frames = List.of(dumping, uploading);

    try (LiveProgress progress =
        new LiveProgress(
            () -> {
              RunStatus frame = frames.get(Math.min(polls.getAndIncrement(), 1));
              twoFrames.countDown();
              return List.of(frame);
            },
            terminal,
            terminal,
            10)) {
      assertThat(twoFrames.await(5, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(50);
    }

    String drawn = bytes.toString(StandardCharsets.UTF_8);
    assertThat(drawn)
        .startsWith("\r\u001b[Jappdb  dump\nmodels  dump\n\u001b[2A\r\u001b[Jappdb  upload\n")
        .endsWith("\u001b[1A\r\u001b[J");
  }

  @Test
  void withoutATerminalOnlyWaitingLinesArePrintedEachOnceUntilTheyChange() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Instant later = Instant.now().plusSeconds(40);
    RunStatus attempt2 =
        plan(
            run(
                "backup-appdb-1",
                "upload",
                List.of(failing(2, "REPOSITORY_UNAVAILABLE: x", later))));
    RunStatus attempt3 =
        plan(
            run(
                "backup-appdb-1",
                "upload",
                List.of(failing(3, "REPOSITORY_UNAVAILABLE: x", null))));
    List<RunStatus> polls = List.of(attempt2, attempt2, attempt2, attempt3, attempt3);
    AtomicInteger poll = new AtomicInteger();
    CountDownLatch allPolled = new CountDownLatch(polls.size() + 1);

    try (LiveProgress progress =
        new LiveProgress(
            () -> {
              allPolled.countDown();
              return List.of(polls.get(Math.min(poll.getAndIncrement(), polls.size() - 1)));
            },
            null,
            log,
            10)) {
      assertThat(allPolled.await(5, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(50);
    }

    assertThat(bytes.toString(StandardCharsets.UTF_8).lines())
        .hasSize(2)
        .allSatisfy(line -> assertThat(line).doesNotContain("\u001b"))
        .satisfiesExactly(
            first ->
                assertThat(first)
                    .matches(
                        "waiting: appdb upload, attempt 2, retrying in (40|39)s after:"
                            + " REPOSITORY_UNAVAILABLE: x"),
            second ->
                assertThat(second)
                    .isEqualTo(
                        "waiting: appdb upload, attempt 3 after: REPOSITORY_UNAVAILABLE: x"));
  }

  @Test
  void stderrIsATerminalOnlyWhenItsFileIsATerminalDevice() throws Exception {
    Path pts = dir.resolve("pts");
    Files.createSymbolicLink(pts, Path.of("/dev/pts/3"));
    Path logFile = dir.resolve("log");
    Files.createSymbolicLink(logFile, dir.resolve("backup.log"));
    Path pipe = dir.resolve("pipe");
    Files.createSymbolicLink(pipe, Path.of("pipe:[12345]"));

    assertThat(Terminals.stderrIsTerminal(null, pts)).isTrue();
    assertThat(Terminals.stderrIsTerminal(null, logFile)).isFalse();
    assertThat(Terminals.stderrIsTerminal(null, pipe)).isFalse();
    assertThat(Terminals.stderrIsTerminal("never", pts)).isFalse();
    assertThat(Terminals.stderrIsTerminal("always", logFile)).isTrue();
    assertThat(LiveProgress.wanted(true, false)).isFalse();
    assertThat(LiveProgress.wanted(false, true)).isFalse();
    assertThat(LiveProgress.wanted(false, false)).isTrue();
  }

  @Test
  void waitingDurationsAreRoundedUpAndReadable() {
    assertThat(WaitingLine.seconds(java.time.Duration.ofMillis(39_100))).isEqualTo("40s");
    assertThat(WaitingLine.seconds(java.time.Duration.ofSeconds(125))).isEqualTo("2m05s");
    assertThat(WaitingLine.seconds(java.time.Duration.ofMinutes(62))).isEqualTo("1h02m");
  }

  private static RunStatus plan(RunStatus... children) {
    return new RunStatus(
        "backup-set-nightly-1",
        "r",
        "BackupPlanWorkflow",
        "RUNNING",
        Instant.EPOCH,
        null,
        null,
        List.of(),
        List.of(children),
        null);
  }

  private static RunStatus run(String workflowId, String step, List<ActivityProgress> activities) {
    return new RunStatus(
        workflowId, "r", "T", "RUNNING", Instant.EPOCH, null, step, activities, List.of(), null);
  }

  private static ActivityProgress failing(int attempt, String failure, Instant next) {
    return new ActivityProgress(
        "Upload", next == null ? "STARTED" : "SCHEDULED", attempt, null, null, failure, null, next);
  }
}
