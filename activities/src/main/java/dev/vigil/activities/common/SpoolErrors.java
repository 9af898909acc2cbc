package dev.vigil.activities.common;

import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Path;

/** Names what went wrong with the spool filesystem, the one way for every step. */
public final class SpoolErrors {
  private SpoolErrors() {}

  /** True if {@code error} (or its causes) says the filesystem is full. */
  public static boolean isDiskFull(Throwable error) {
    for (Throwable current = error; current != null; current = current.getCause()) {
      String message = current.getMessage();
      if (message != null
          && (message.contains("No space left on device") || message.contains("Disk quota"))) {
        return true;
      }
    }
    return false;
  }

  /** SPOOL_FULL naming the spool if the disk is full, else {@code otherwise}. */
  public static VigilException translate(
      IOException error, Path spoolDir, String step, VigilException otherwise) {
    if (isDiskFull(error)) {
      return new VigilException(
          ErrorType.SPOOL_FULL,
          step
              + ": spool "
              + spoolDir
              + " is full (No space left on device); free space or point worker.spool-dir at a"
              + " larger disk",
          error);
    }
    return otherwise;
  }
}
