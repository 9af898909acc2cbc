package dev.vigil.activities.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Makes a directory unwritable for this process. Root ignores file modes, so as root the directory
 * is made immutable ({@code chattr +i}), which stops root too.
 */
final class ReadOnly {
  private ReadOnly() {}

  static void make(Path directory) throws IOException, InterruptedException {
    if (isRoot()) {
      chattr("+i", directory);
    } else {
      Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("r-xr-xr-x"));
    }
  }

  static void undo(Path directory) throws IOException, InterruptedException {
    if (isRoot()) {
      chattr("-i", directory);
    } else {
      Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static void chattr(String flag, Path directory) throws IOException, InterruptedException {
    Process process = new ProcessBuilder("chattr", flag, directory.toString()).inheritIO().start();
    if (process.waitFor() != 0) {
      throw new IOException("chattr " + flag + " " + directory + " failed");
    }
  }
}
