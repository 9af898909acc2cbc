package dev.vigil.infra.cli;

import dev.vigil.activities.wal.AsyncWalPush;
import dev.vigil.activities.wal.WalSpool;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil wal-push %p}: PostgreSQL's {@code archive_command}. Archives one WAL file; silent on
 * success; one line on stderr and a non-zero exit on any failure, so PostgreSQL keeps the file and
 * retries. Exit codes: see {@link WalArchiveAccess}.
 *
 * <p>With {@code --spool DIR} it pushes asynchronously ({@link AsyncWalPush}): a file an earlier
 * call already stored is accepted from its marker, otherwise this call also pushes every other file
 * PostgreSQL has marked ready, {@code --parallel} at a time, and leaves a marker for each; with
 * {@code --linger} (the launcher's default) it also marks the requested file, which the launcher
 * waits for while this JVM keeps pushing newly ready files.
 */
@Command(
    name = "wal-push",
    description =
        "Archive one WAL file to the source's repository (PostgreSQL's archive_command):"
            + " compress, encrypt, upload.")
final class WalPushCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "WAL_PATH",
      description = "The file to archive: PostgreSQL's %%p (relative to the data directory).")
  Path path;

  @CommandLine.Mixin WalArchiveAccess.Options options;

  @Option(
      names = "--spool",
      paramLabel = "DIR",
      description =
          "Push asynchronously: also push the other files PostgreSQL marked ready, and keep a"
              + " marker per stored file in DIR/<source>/ (outside the data directory).")
  Path spool;

  @Option(
      names = "--parallel",
      paramLabel = "N",
      description = "With --spool: how many files are pushed at once (default: ${DEFAULT-VALUE}).")
  int parallel = 4;

  @Option(
      names = "--linger",
      paramLabel = "SECONDS",
      description =
          "With --spool: also mark the requested file, and keep pushing files that become ready"
              + " until none came for SECONDS (the launcher passes 3 and returns to PostgreSQL"
              + " as soon as the requested file is marked; default: ${DEFAULT-VALUE}).")
  int linger = 0;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (parallel < 1 || parallel > 64) {
      spec.commandLine()
          .getErr()
          .println("vigil wal-push: --parallel must be between 1 and 64, not " + parallel);
      return WalArchiveAccess.BAD_INPUT;
    }
    if (linger < 0 || linger > 600) {
      spec.commandLine()
          .getErr()
          .println("vigil wal-push: --linger must be between 0 and 600 seconds, not " + linger);
      return WalArchiveAccess.BAD_INPUT;
    }
    try {
      WalSpool markers =
          spool == null ? null : WalSpool.open(spool, options.source, walDirectory());
      // What the launcher checks without starting Java, in case it was started some other way.
      if (markers != null && markers.consumeIfStored(path)) {
        return WalArchiveAccess.DONE;
      }
      try (WalArchiveAccess access = WalArchiveAccess.open(options)) {
        if (markers == null) {
          access.archive().push(path);
        } else {
          new AsyncWalPush(access.archive(), markers, parallel, Duration.ofSeconds(linger))
              .push(path);
        }
        return WalArchiveAccess.DONE;
      }
    } catch (Exception e) {
      return WalArchiveAccess.report(
          spec.commandLine().getErr(), "wal-push", String.valueOf(path), e, false);
    }
  }

  private Path walDirectory() {
    Path parent = path.toAbsolutePath().getParent();
    return parent == null ? Path.of("/") : parent;
  }
}
