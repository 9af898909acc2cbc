package dev.vigil.activities.store;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** What every store checks of the spool file it uploads, and how it names keys. */
final class SpoolFiles {
  private SpoolFiles() {}

  /** The spool file's size; SPOOL_MISSING if it is gone. */
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
    if (changed(file, size)) {
      throw changedFailure(file, key);
    }
  }

  static boolean changed(Path file, long size) {
    try {
      return Files.size(file) != size;
    } catch (IOException e) {
      return true;
    }
  }

  static VigilException changedFailure(Path file, String key) {
    return new VigilException(
        ErrorType.SPOOL_MISSING,
        "spool file "
            + file
            + " disappeared or changed size while it was uploaded to '"
            + key
            + "'; the backup must be dumped again");
  }

  /** {@code value} without leading and trailing slashes. */
  static String trimSlashes(String value) {
    int start = 0;
    int end = value.length();
    while (start < end && value.charAt(start) == '/') {
      start++;
    }
    while (end > start && value.charAt(end - 1) == '/') {
      end--;
    }
    return value.substring(start, end);
  }
}
