package dev.vigil.activities.source;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Runs pg_dump with its archive on standard output and copies it, through one fixed buffer, into a
 * sink (the sealer) and into {@code pg_restore --list}'s standard input: the dump is sealed and its
 * table of contents read back by pg_restore in the same pass, without a raw file.
 *
 * <p>{@code pg_restore --list} reads the archive's header and table of contents (written first) and
 * then exits without reading the data: the copy to it stops at the broken pipe, which is not a
 * failure. Its exit code and the entries it listed are.
 */
final class PgDumpPipe {
  private static final int BUFFER = 1 << 20;

  private final PgTools tools;

  PgDumpPipe(PgTools tools) {
    this.tools = tools;
  }

  /**
   * How the two tools ended.
   *
   * @param dump pg_dump's exit code and stderr
   * @param list pg_restore --list's exit code and stderr (meaningful only if pg_dump succeeded)
   * @param entries the entries pg_restore listed
   * @param bytes the archive's size, as copied into the sink
   */
  record Outcome(
      PgTools.ProcessOutcome dump, PgTools.ProcessOutcome list, long entries, long bytes) {}

  /**
   * Runs {@code dumpCommand} (which must write to standard output) to its end.
   *
   * @param progress called with the bytes copied so far every {@code progressEvery}, also while
   *     pg_dump writes nothing (waiting for a lock); if it throws, both tools are stopped
   * @throws IOException if the sink cannot be written (both tools are stopped)
   * @throws InterruptedException if the calling thread is interrupted (both tools are stopped)
   * @throws java.io.UncheckedIOException if a tool cannot be started
   */
  Outcome run(
      List<String> dumpCommand,
      Map<String, String> environment,
      OutputStream sink,
      Duration progressEvery,
      LongConsumer progress)
      throws IOException, InterruptedException {
    Process dump = start(dumpCommand, environment, false);
    Process list;
    try {
      list = start(List.of(tools.pgRestore(), "--list"), Map.of(), true);
    } catch (RuntimeException e) {
      PgTools.destroy(dump);
      throw e;
    }
    PgTools.StderrTail dumpErrors = new PgTools.StderrTail(dump.getErrorStream());
    PgTools.StderrTail listErrors = new PgTools.StderrTail(list.getErrorStream());
    AtomicLong entries = new AtomicLong();
    List<Thread> readers =
        List.of(
            PgTools.startDaemon(dumpErrors::drain, "pg_dump-stderr"),
            PgTools.startDaemon(listErrors::drain, "pg_restore-list-stderr"),
            PgTools.startDaemon(
                () ->
                    PgTools.readLines(
                        list.getInputStream(),
                        line -> {
                          if (!line.isBlank() && !line.startsWith(";")) {
                            entries.incrementAndGet();
                          }
                        }),
                "pg_restore-list-stdout"));
    AtomicLong copied = new AtomicLong();
    CompletableFuture<Void> copying =
        CompletableFuture.runAsync(
            () -> copy(dump.getInputStream(), sink, list.getOutputStream(), copied),
            runnable -> PgTools.startDaemon(runnable, "pg_dump-stdout"));
    boolean finished = false;
    try {
      while (true) {
        try {
          copying.get(progressEvery.toMillis(), TimeUnit.MILLISECONDS);
          break;
        } catch (TimeoutException stillCopying) {
          progress.accept(copied.get());
        }
      }
      int dumpExit = dump.waitFor();
      int listExit = list.waitFor();
      for (Thread reader : readers) {
        reader.join();
      }
      finished = true;
      return new Outcome(
          new PgTools.ProcessOutcome(dumpExit, dumpErrors.text()),
          new PgTools.ProcessOutcome(listExit, listErrors.text()),
          entries.get(),
          copied.get());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SinkFailure failure) {
        throw failure.getCause();
      }
      throw new IllegalStateException("copying pg_dump's output failed", e.getCause());
    } finally {
      if (!finished) {
        PgTools.destroy(dump);
        PgTools.destroy(list);
        // The caller closes the sink next: the copy must be over (it ends at pg_dump's EOF).
        awaitEnd(copying);
      }
    }
  }

  private static void awaitEnd(CompletableFuture<Void> copying) {
    boolean interrupted = false;
    while (true) {
      try {
        copying.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException e) {
        break;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private Process start(List<String> command, Map<String, String> environment, boolean stdin) {
    ProcessBuilder builder = PgTools.builder(command, environment);
    if (!stdin) {
      builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    }
    return PgTools.start(builder);
  }

  private static void copy(InputStream from, OutputStream sink, OutputStream list, AtomicLong n) {
    byte[] buffer = new byte[BUFFER];
    boolean listing = true;
    try (from) {
      int read;
      while ((read = from.read(buffer)) >= 0) {
        try {
          sink.write(buffer, 0, read);
        } catch (IOException e) {
          throw new SinkFailure(e);
        }
        if (listing) {
          try {
            list.write(buffer, 0, read);
          } catch (IOException brokenPipe) {
            // pg_restore --list has read the table of contents and exited; its exit code tells.
            listing = false;
          }
        }
        n.addAndGet(read);
      }
    } catch (IOException e) {
      // pg_dump's stdout closed under us: it was stopped; its exit code tells what happened.
    } finally {
      closeQuietly(list);
    }
  }

  private static void closeQuietly(OutputStream stream) {
    try {
      stream.close();
    } catch (IOException alreadyGone) {
      // pg_restore exited first: nothing left to tell it.
    }
  }

  /** The sink (the spool) failed, not a tool: carried out of the copying thread. */
  private static final class SinkFailure extends RuntimeException {
    SinkFailure(IOException cause) {
      super(cause);
    }

    @Override
    public synchronized IOException getCause() {
      return (IOException) super.getCause();
    }
  }
}
