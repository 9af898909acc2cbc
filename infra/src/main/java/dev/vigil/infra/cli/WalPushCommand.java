package dev.vigil.infra.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil wal-push %p}: PostgreSQL's {@code archive_command}. Archives one WAL file; silent on
 * success; one line on stderr and a non-zero exit on any failure, so PostgreSQL keeps the file and
 * retries. Exit codes: see {@link WalArchiveAccess}.
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

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    try (WalArchiveAccess access = WalArchiveAccess.open(options)) {
      access.archive().push(path);
      return WalArchiveAccess.DONE;
    } catch (Exception e) {
      return WalArchiveAccess.report(
          spec.commandLine().getErr(), "wal-push", String.valueOf(path), e, false);
    }
  }
}
