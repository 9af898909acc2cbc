package dev.vigil.activities.store;

import dev.vigil.activities.config.FilesystemRepositoryConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A process that uploads one file into a filesystem repository slowly, printing every heartbeat it
 * would send ({@code PART <uploadId> <partSize> <partsDone> <bytesDone>}), so a test can kill it
 * with SIGKILL in the middle of a write. Arguments: repository path, file, key, part size.
 */
public final class FilesystemUploadChild {
  private FilesystemUploadChild() {}

  public static void main(String[] args) {
    FilesystemObjectStore store =
        new FilesystemObjectStore(
            new FilesystemRepositoryConfig("crash", Path.of(args[0])),
            Long.parseLong(args[3]),
            Duration.ofMillis(1));
    store.uploadFile(
        Path.of(args[1]),
        args[2],
        new ObjectAttributes(null, Map.of("vigil-source", "crash"), Map.of()),
        null,
        progress -> {
          System.out.println(
              "PART "
                  + progress.uploadId()
                  + " "
                  + progress.partSize()
                  + " "
                  + progress.partsDone()
                  + " "
                  + progress.bytesDone());
          System.out.flush();
        },
        // Slow inside each part, so the kill lands while bytes are being written.
        progress -> sleep());
    System.out.println("DONE");
  }

  private static void sleep() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
