package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress frames go only to a terminal: a real process on a real pseudo-terminal (util-linux
 * {@code script}), with stderr on the terminal or redirected to a file while stdin and stdout stay
 * on the terminal (as in {@code vigil backup 2>backup.log}).
 */
class ProgressTerminalIT {
  private static final String FRAME = "appdb  upload  [##########..........]";

  @TempDir Path dir;

  @Test
  void stderrOnTheTerminalGetsProgressFrames() throws Exception {
    String terminal = onTerminal("", null);

    assertThat(terminal).contains(FRAME, "\u001b[J", "done");
  }

  @Test
  void stderrRedirectedToAFileGetsNoFramesThoughStdoutIsATerminal() throws Exception {
    Path log = dir.resolve("backup.log");

    String terminal = onTerminal(" 2>" + log, null);

    assertThat(terminal).contains("done");
    assertThat(Files.readString(log)).doesNotContain(FRAME).doesNotContain("\u001b");
  }

  @Test
  void vigilProgressNeverOrAlwaysOverridesTheCheck() throws Exception {
    assertThat(onTerminal("", "never")).contains("done").doesNotContain(FRAME);
    Path log = dir.resolve("always.log");
    onTerminal(" 2>" + log, "always");
    assertThat(Files.readString(log)).contains(FRAME);
  }

  /** Runs {@link ProgressOnStderrMain} on a pseudo-terminal; returns what the terminal showed. */
  private String onTerminal(String redirect, String override)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String command =
        "'"
            + java
            + "' -cp '"
            + System.getProperty("java.class.path")
            + "' "
            + ProgressOnStderrMain.class.getName()
            + redirect;
    ProcessBuilder builder =
        new ProcessBuilder(List.of("script", "-qec", command, "/dev/null"))
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectErrorStream(true);
    builder.environment().remove(Terminals.OVERRIDE_ENV);
    if (override != null) {
      builder.environment().put(Terminals.OVERRIDE_ENV, override);
    }
    Process process = builder.start();
    byte[] shown = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isZero();
    return new String(shown, StandardCharsets.UTF_8);
  }
}
