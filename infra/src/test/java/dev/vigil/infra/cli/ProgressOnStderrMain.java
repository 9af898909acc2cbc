package dev.vigil.infra.cli;

import dev.vigil.starter.read.ActivityProgress;
import dev.vigil.starter.read.RunStatus;
import java.time.Instant;
import java.util.List;

/**
 * A command's progress display for two seconds, in a process of its own: {@link ProgressTerminalIT}
 * runs it with stdin, stdout and stderr on a terminal or not.
 */
public final class ProgressOnStderrMain {
  private ProgressOnStderrMain() {}

  public static void main(String[] args) throws InterruptedException {
    RunStatus uploading =
        new RunStatus(
            "backup-appdb-20261120T020000Z",
            "r",
            "SourceBackupWorkflow",
            "RUNNING",
            Instant.EPOCH,
            null,
            "upload",
            List.of(
                new ActivityProgress(
                    "Upload", "STARTED", 1, 512L << 20, 1024L << 20, null, null, null)),
            List.of(),
            null);
    try (LiveProgress progress = LiveProgress.onStderr(() -> List.of(uploading), true)) {
      Thread.sleep(2000);
    }
    System.out.println("done");
  }
}
