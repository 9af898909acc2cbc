package dev.vigil.infra.cli;

import dev.vigil.activities.wal.WalFileName;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil wal-fetch %f %p}: PostgreSQL's {@code restore_command}. Restores one archived WAL
 * file atomically; exit 1 when the archive does not hold it (PostgreSQL asks for files past the end
 * of the archive, so that is how recovery normally ends). Exit codes: see {@link WalArchiveAccess}.
 */
@Command(
    name = "wal-fetch",
    description =
        "Restore one archived WAL file (PostgreSQL's restore_command): download, verify, decrypt,"
            + " write atomically.")
final class WalFetchCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "WAL_NAME",
      description = "The file PostgreSQL asks for: its %%f.")
  String name;

  @Parameters(
      index = "1",
      paramLabel = "TARGET_PATH",
      description = "Where to write it: PostgreSQL's %%p (relative to the data directory).")
  Path target;

  @CommandLine.Mixin WalArchiveAccess.Options options;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    try {
      WalFileName wal = WalFileName.parse(name);
      try (WalArchiveAccess access = WalArchiveAccess.open(options)) {
        if (!access.archive().fetch(wal, target)) {
          spec.commandLine()
              .getErr()
              .println(
                  "vigil wal-fetch: "
                      + wal
                      + " is not in the archive of source '"
                      + options.source
                      + "' (normal at the end of recovery)");
          return WalArchiveAccess.REFUSED_OR_ABSENT;
        }
        return WalArchiveAccess.DONE;
      }
    } catch (Exception e) {
      return WalArchiveAccess.report(spec.commandLine().getErr(), "wal-fetch", name, e, true);
    }
  }
}
