package dev.vigil.activities.store;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The spool file an upload reads: every store fails alike when it is gone or changes. */
final class SpoolFiles {
  private SpoolFiles() {}

  static long sizeOf(Path file) {
    try {
      return Files.size(file);
    } catch (NoSuchFileException e) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING, "spool file " + file + " to upload does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the size of spool file " + file, e);
    }
  }

  /** Fails if the spool file is gone or has changed size since the upload began. */
  static void requireUnchanged(Path file, long size, String key) {
    if (spoolChanged(file, size)) {
      throw spoolChangedFailure(file, key);
    }
  }

  static boolean spoolChanged(Path file, long size) {
    try {
      return Files.size(file) != size;
    } catch (IOException e) {
      return true;
    }
  }

  static VigilException spoolChangedFailure(Path file, String key) {
    return new VigilException(
        ErrorType.SPOOL_MISSING,
        "spool file "
            + file
            + " disappeared or changed size while it was uploaded to '"
            + key
            + "'; the backup must be dumped again");
  }
}
