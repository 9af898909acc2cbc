package dev.vigil.infra.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether stderr is a terminal, so progress frames (cursor movements) are drawn only where a person
 * watches. {@code System.console()} cannot say: it looks at stdin and stdout, so {@code vigil
 * backup 2>backup.log} on a terminal would fill the log with control characters.
 */
final class Terminals {
  /** Overrides the check: {@code always} or {@code never}. */
  static final String OVERRIDE_ENV = "VIGIL_PROGRESS";

  private Terminals() {}

  /** Whether progress may be drawn on this process's stderr. */
  static boolean stderrIsTerminal() {
    return stderrIsTerminal(System.getenv(OVERRIDE_ENV), Path.of("/proc/self/fd/2"));
  }

  /**
   * Whether {@code fd2} (a {@code /proc} link to stderr's file) is a terminal device, unless {@code
   * override} says always or never. Without {@code /proc} (macOS) it falls back to {@code
   * System.console()}, which is right whenever stderr goes where stdout goes.
   */
  static boolean stderrIsTerminal(String override, Path fd2) {
    if ("always".equals(override)) {
      return true;
    }
    if ("never".equals(override)) {
      return false;
    }
    String target;
    try {
      target = Files.readSymbolicLink(fd2).toString();
    } catch (IOException | UnsupportedOperationException e) {
      return System.console() != null;
    }
    return target.startsWith("/dev/pts/")
        || target.startsWith("/dev/tty")
        || target.equals("/dev/console");
  }
}
