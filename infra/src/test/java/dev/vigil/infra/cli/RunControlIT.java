package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.activities.catalog.BackupRecord;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.infra.embedded.EmbeddedStack;
import dev.vigil.starter.read.ActivityProgress;
import dev.vigil.starter.read.RunNotFoundException;
import dev.vigil.starter.read.RunStatus;
import dev.vigil.starter.read.RunStatusReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a person waiting on a run sees and can do, on the embedded stack (Temporal test server, a
 * real worker, S3Mock, PostgreSQL): live upload progress through describe, {@code vigil cancel} of
 * a backup mid-upload, and the waiting line of a CLI whose step retries. The last test stops
 * S3Mock.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RunControlIT {
  private static final long MIB = 1024 * 1024;
  private static final long BIG_BYTES = 256 * MIB;

  @TempDir static Path dir;

  private static EmbeddedStack stack;
  private static String config;
  private static RunStatusReader reader;

  @BeforeAll
  static void startStack() throws IOException {
    Path sources = Files.createDirectories(dir.resolve("sources"));
    writeRandom(Files.createDirectories(sources.resolve("big")).resolve("blob.bin"), BIG_BYTES);
    Files.writeString(
        Files.createDirectories(sources.resolve("small")).resolve("settings.yaml"), "a: 1\n");
    Path yaml = sources.resolve("vigil.yaml");
    Files.writeString(
        yaml,
        """
        sources:
          big:
            type: directory
            kind: dataset
            path: big
          small:
            type: directory
            kind: config
            path: small
        """);
    stack = EmbeddedStack.start(dir.resolve("stack"), System.err, yaml);
    config = stack.workDir().resolve("vigil.yaml").toString();
    reader = new RunStatusReader(stack.client());
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  /** One look at the upload: when, and the bytes done that describe reported. */
  record Seen(long atMillis, long bytesDone) {}

  @Test
  @Order(1)
  void uploadProgressReadThroughDescribeAdvancesEverySecondOrTwo() throws Exception {
    String planId =
        stack.backups().start("progress", List.of("big"), System.currentTimeMillis(), "test");
    long started = System.nanoTime();
    List<Seen> seen = new ArrayList<>();
    RunStatus status = reader.status(planId);
    while (!status.closed() && elapsedMillis(started) < 300_000) {
      // What the CLI's progress bar reads: the busiest activity's bytes of each open child.
      Long bytes = uploadBytes(status);
      if (bytes != null) {
        seen.add(new Seen(elapsedMillis(started), bytes));
      }
      Thread.sleep(500);
      status = reader.status(planId);
    }

    assertThat(status.state()).as("%s", status).isEqualTo("COMPLETED");
    assertThat(stack.backups().await(planId).complete()).isTrue();
    List<Seen> changes = new ArrayList<>();
    for (Seen look : seen) {
      if (changes.isEmpty() || changes.get(changes.size() - 1).bytesDone() != look.bytesDone()) {
        changes.add(look);
      }
    }
    // The upload's pace depends on the machine: 256 MiB took from 1.5 s (idle) to 11 s (busy).
    // Heartbeats reach Temporal every second, so the bar must move about once a second, and
    // at least every other second, whatever the upload took (before the fix it stood still at the
    // first part's 16 MiB until the upload had ended).
    long uploadMillis = changes.get(changes.size() - 1).atMillis() - changes.get(0).atMillis();
    assertThat(changes)
        .as("upload progress seen over %d ms: %s", uploadMillis, seen)
        .hasSizeGreaterThanOrEqualTo(2 + (int) (uploadMillis / 2000));
    for (int i = 1; i < changes.size(); i++) {
      assertThat(changes.get(i).atMillis() - changes.get(i - 1).atMillis())
          .as("time between two progress changes, seen %s", seen)
          .isLessThanOrEqualTo(3000);
    }
    assertThat(changes.get(changes.size() - 1).bytesDone()).isGreaterThan(BIG_BYTES / 2);
  }

  @Test
  @Order(2)
  void cancelStopsABackupMidUploadAndItsCleanupStillRuns() throws Exception {
    String planId =
        stack.backups().start("cancel", List.of("big"), System.currentTimeMillis(), "test");
    RunStatus uploading = awaitStatus(planId, status -> uploadBytes(status) != null, 120);
    String backupId = uploading.children().get(0).workflowId().replaceFirst("^backup-", "");

    ReadCommandsIT.Run cancel =
        ReadCommandsIT.vigil("cancel", planId, "--config", config, "--reason", "test says stop");

    assertThat(cancel.exit()).as(cancel.err()).isZero();
    assertThat(cancel.err()).contains("cancellation of " + planId + " requested");
    assertThat(cancel.out()).startsWith(planId + "  BackupPlanWorkflow  CANCELED");
    BackupRecord row =
        stack.services().catalog().list(null).stream()
            .filter(record -> record.source().equals("big"))
            .filter(record -> record.workflowId().equals(uploading.children().get(0).workflowId()))
            .findFirst()
            .orElseThrow();
    assertThat(row.status()).isEqualTo("FAILED");
    assertThat(row.failureType()).isEqualTo("CANCELLED");
    assertThat(row.failureReason()).startsWith("upload: ");
    assertThat(stack.services().spool().dir(row.backupId())).doesNotExist();
    assertThat(backupId).isNotBlank();

    ReadCommandsIT.Run again = ReadCommandsIT.vigil("cancel", planId, "--config", config);
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err().strip())
        .isEqualTo("vigil: run '" + planId + "' already ended (CANCELED); nothing to cancel");
    ReadCommandsIT.Run unknown =
        ReadCommandsIT.vigil("cancel", "backup-set-nope-1", "--config", config);
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err().strip()).startsWith("vigil: run 'backup-set-nope-1' not found");
  }

  @Test
  @Order(3)
  void aRunThatDoesNotEndAfterCancelIsTerminatedAndWhatItLeftResolved() throws Exception {
    String planId =
        stack.backups().start("stuck", List.of("big"), System.currentTimeMillis(), "test");
    RunStatus uploading = awaitStatus(planId, status -> uploadBytes(status) != null, 120);
    String childId = uploading.children().get(0).workflowId();
    BackupRecord row =
        stack.services().catalog().list(null).stream()
            .filter(record -> childId.equals(record.workflowId()))
            .findFirst()
            .orElseThrow();
    ObjectStore store = stack.services().store(row.repository());
    String prefix = store.key("big/" + row.backupId()) + "/";
    Path spool = stack.services().spool().dir(row.backupId());
    // The worker takes no workflow task any more: the cancel reaches no workflow code and the run
    // cannot end, as when the test server loses a cancellation. The upload goes on meanwhile.
    stack.worker().suspendPolling();
    try {
      ReadCommandsIT.Run cancel =
          ReadCommandsIT.vigil("cancel", planId, "--config", config, "--timeout", "2s");

      assertThat(cancel.exit()).as(cancel.err()).isEqualTo(1);
      // The upload may have ended meanwhile: then no step runs and nothing acts on the cancel.
      assertThat(cancel.err())
          .containsPattern(
              Pattern.quote("vigil: " + planId + " is still running after 2s: ")
                  + "(no step of it is running|step Upload of "
                  + Pattern.quote(childId)
                  + " is started)")
          .contains("vigil cancel " + planId + " --terminate");
      assertThat(stack.services().catalog().find(row.backupId()).orElseThrow().status())
          .isEqualTo("RUNNING");
      assertThat(spool).exists();
      assertThat(store.list(prefix).size() + store.openUploads(prefix).size())
          .as("what the upload has put in the bucket so far")
          .isPositive();

      ReadCommandsIT.Run terminate =
          ReadCommandsIT.vigil(
              "cancel", planId, "--config", config, "--timeout", "1s", "--terminate");

      assertThat(terminate.exit()).as(terminate.err() + terminate.out()).isZero();
      assertThat(terminate.err()).contains("terminated " + planId + ", " + childId);
      assertThat(terminate.out()).contains("resolved " + row.backupId() + " (source big");
      assertThat(reader.state(planId)).isEqualTo("TERMINATED");
      assertThat(reader.state(childId)).isEqualTo("TERMINATED");
      BackupRecord after = stack.services().catalog().find(row.backupId()).orElseThrow();
      assertThat(after.status()).isEqualTo("FAILED");
      assertThat(after.failureType()).isEqualTo("RUN_LOST");
      assertThat(after.failureReason()).contains("`vigil cancel --terminate`");
      assertThat(store.list(prefix)).isEmpty();
      assertThat(store.openUploads(prefix)).isEmpty();
      assertThat(spool).doesNotExist();
    } finally {
      stack.worker().resumePolling();
    }
  }

  @Test
  @Order(4)
  void aCliWaitingOnARetryingStepSaysWhatItWaitsForAndWhy() throws Exception {
    // The repository goes away: every upload attempt fails, and is retried for up to a day.
    stack.s3().close();
    StringWriter out = new StringWriter();
    SharedBuffer err = new SharedBuffer();
    PrintStream originalErr = System.err;
    PrintStream originalOut = System.out;
    CompletableFuture<Integer> backup;
    String planId;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      System.setOut(new PrintStream(OutputStream.nullOutputStream()));
      backup =
          CompletableFuture.supplyAsync(
              () -> {
                var commandLine = VigilMain.commandLine();
                commandLine.setOut(new PrintWriter(out, true));
                commandLine.setErr(new PrintWriter(err.writer(), true));
                return commandLine.execute(
                    "backup", "--config", config, "--plan", "waiting", "--source", "small");
              });
      Pattern waiting =
          Pattern.compile(
              "(?m)^waiting: small upload, attempt (\\d+)(, retrying in \\d+s)? after:"
                  + " REPOSITORY_UNAVAILABLE: .*demo.*$");
      long started = System.nanoTime();
      while (!waiting.matcher(err.text()).find() && elapsedMillis(started) < 90_000) {
        Thread.sleep(250);
      }
      assertThat(err.text()).containsPattern(waiting);
      var started1 = Pattern.compile("started (\\S+)").matcher(err.text());
      assertThat(started1.find()).isTrue();
      planId = started1.group(1);

      // Cancel while the upload waits out a backoff of 8 s, so that the test does not wait out
      // the 60 s a cancelled run gives an attempt the test server may have lost the cancel of
      // (one that fails without a heartbeat). It counts the attempt up when the previous one
      // fails, and an attempt here fails in milliseconds: attempt 5 seen first means the 8 s
      // backoff before it has begun.
      StringWriter watchErr = new StringWriter();
      CompletableFuture<Integer> watch =
          CompletableFuture.supplyAsync(
              () -> {
                var commandLine = VigilMain.commandLine();
                commandLine.setOut(new PrintWriter(Writer.nullWriter(), true));
                commandLine.setErr(new PrintWriter(watchErr, true));
                return commandLine.execute(
                    "status", planId, "--config", config, "--watch", "--interval", "0.5");
              });
      awaitStatus(planId, RunControlIT::uploadInLongBackoff, 120);
      ReadCommandsIT.Run cancel;
      var commandLine = VigilMain.commandLine();
      StringWriter cancelOut = new StringWriter();
      commandLine.setOut(new PrintWriter(cancelOut, true));
      commandLine.setErr(new PrintWriter(err.writer(), true));
      int exit = commandLine.execute("cancel", planId, "--config", config);
      cancel = new ReadCommandsIT.Run(exit, cancelOut.toString(), err.text());
      assertThat(cancel.exit()).as(cancel.err()).isZero();
      assertThat(backup.get(60, TimeUnit.SECONDS)).isEqualTo(VigilMain.FAILED);
      assertThat(watch.get(60, TimeUnit.SECONDS)).isEqualTo(VigilMain.FAILED);
      assertThat(watchErr.toString()).containsPattern(waiting);
    } finally {
      System.setErr(originalErr);
      System.setOut(originalOut);
    }
    String printed = err.text();
    assertThat(printed).contains("vigil: run " + planId + " was cancelled");
    // Said once per attempt, not once per poll.
    List<String> lines = printed.lines().filter(line -> line.startsWith("waiting: ")).toList();
    assertThat(lines).doesNotHaveDuplicates();
    assertThat(lines).allSatisfy(line -> assertThat(line).doesNotContain("\u001b", "\n\tat "));
  }

  private static RunStatus awaitStatus(String planId, Predicate<RunStatus> wanted, int seconds)
      throws InterruptedException {
    long started = System.nanoTime();
    RunStatus status = null;
    while (elapsedMillis(started) < seconds * 1000L) {
      try {
        status = reader.status(planId);
        if (wanted.test(status)) {
          return status;
        }
      } catch (RunNotFoundException notYet) {
        // Started, but not visible yet.
      }
      Thread.sleep(200);
    }
    throw new AssertionError("run " + planId + " never got there: " + status);
  }

  /** The bytes done of an open child's Upload activity, as the CLI would draw them. */
  private static Long uploadBytes(RunStatus plan) {
    for (RunStatus child : plan.children()) {
      for (ActivityProgress activity : child.activities()) {
        if (activity.activityType().equals("Upload") && activity.bytesDone() != null) {
          return activity.bytesDone();
        }
      }
    }
    return null;
  }

  /** Whether an open child's Upload is on its fifth attempt or later (backoff 8 s and up). */
  private static boolean uploadInLongBackoff(RunStatus plan) {
    for (RunStatus child : plan.children()) {
      for (ActivityProgress activity : child.activities()) {
        if (activity.activityType().equals("Upload") && activity.attempt() >= 5) {
          return true;
        }
      }
    }
    return false;
  }

  private static long elapsedMillis(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  private static void writeRandom(Path file, long bytes) throws IOException {
    Random random = new Random(7);
    byte[] block = new byte[(int) MIB];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long written = 0; written < bytes; written += block.length) {
        random.nextBytes(block);
        out.write(block);
      }
    }
  }

  /** What two threads print, readable while they do. */
  private static final class SharedBuffer extends OutputStream {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    @Override
    public synchronized void write(int b) {
      bytes.write(b);
    }

    @Override
    public synchronized void write(byte[] buffer, int offset, int length) {
      bytes.write(buffer, offset, length);
    }

    synchronized String text() {
      return bytes.toString(StandardCharsets.UTF_8);
    }

    java.io.Writer writer() {
      return new java.io.OutputStreamWriter(this, StandardCharsets.UTF_8);
    }
  }
}
