package dev.vigil.activities.restore;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** Checks on a PostgreSQL data directory a physical backup is restored into. */
public final class DataDirectories {
  private DataDirectories() {}

  /**
   * TARGET_NOT_EMPTY unless a data directory target is absent or empty, naming a server's {@code
   * postmaster.pid} if it holds one. --force does not apply: Vigil never empties a directory that
   * may be a live server's data directory.
   */
  public static void check(Path into) {
    try {
      if (!Files.exists(into, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      if (!Files.isDirectory(into, LinkOption.NOFOLLOW_LINKS)) {
        throw new VigilException(
            ErrorType.INVALID_CONFIG,
            "restore target " + into + " exists and is not a directory; name a directory");
      }
      Path pid = into.resolve("postmaster.pid");
      if (Files.exists(pid, LinkOption.NOFOLLOW_LINKS)) {
        throw new VigilException(
            ErrorType.TARGET_NOT_EMPTY,
            "restore target "
                + into
                + " holds "
                + pid
                + ": a PostgreSQL server may be running on it; stop that server and move its"
                + " data directory away, or restore into an empty or new directory");
      }
      try (Stream<Path> children = Files.list(into)) {
        Optional<Path> present = children.sorted().findFirst();
        if (present.isPresent()) {
          throw new VigilException(
              ErrorType.TARGET_NOT_EMPTY,
              "restore target "
                  + into
                  + " is not empty (it holds "
                  + present.get().getFileName()
                  + "); a physical backup is restored only into an empty or new directory"
                  + " (--force does not replace a data directory)");
        }
      }
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED, "cannot read restore target " + into + ": " + e, e);
    }
  }
}
