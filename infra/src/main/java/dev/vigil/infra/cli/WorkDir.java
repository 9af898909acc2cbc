package dev.vigil.infra.cli;

import dev.vigil.activities.common.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The directory {@code vigil up} and {@code vigil demo} keep their stack in. They wipe it, so they
 * only take a directory that is new, empty, or marked with {@value #MARKER} by an earlier run: a
 * user's own non-empty directory is refused and left untouched.
 */
final class WorkDir {
  /** The file that says "vigil created this directory; it may be wiped". */
  static final String MARKER = ".vigil-up";

  private WorkDir() {}

  /** {@code --work-dir} holds files vigil did not put there; nothing was touched. */
  static final class NotOursException extends RuntimeException {
    NotOursException(String message) {
      super(message);
    }
  }

  /**
   * Makes {@code dir} an empty, marked directory: creates it, marks an empty one, or empties one
   * that carries the marker. Refuses anything else before touching it.
   */
  static Path claim(Path dir) throws IOException {
    Path work = dir.toAbsolutePath().normalize();
    if (Files.exists(work) && !Files.isDirectory(work)) {
      throw new NotOursException(
          "--work-dir " + work + " is a file, not a directory; pass a new or empty directory");
    }
    if (Files.isDirectory(work)) {
      if (Files.isRegularFile(work.resolve(MARKER))) {
        FileTrees.delete(work);
      } else if (!isEmpty(work)) {
        throw new NotOursException(
            "--work-dir "
                + work
                + " is not empty and vigil did not create it (no "
                + MARKER
                + " marker); nothing was touched. Pass a new or empty directory");
      }
    }
    Files.createDirectories(work);
    Files.writeString(
        work.resolve(MARKER),
        "Created by vigil up/demo; its contents are wiped on the next run.\n");
    return work;
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }
}
