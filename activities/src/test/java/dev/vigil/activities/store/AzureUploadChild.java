package dev.vigil.activities.store;

import dev.vigil.activities.config.AzureRepositoryConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.activities.config.Secrets;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * A process that uploads one file into an Azure repository block by block, printing every heartbeat
 * it would send ({@code PART <uploadId> <partSize> <partsDone> <bytesDone>}), so a test can kill it
 * with SIGKILL between or inside blocks. Arguments: endpoint, account, container, file, key, block
 * size; the account key comes from the environment variable {@code VIGIL_TEST_AZURITE_KEY}.
 */
public final class AzureUploadChild {
  private AzureUploadChild() {}

  public static void main(String[] args) {
    AzureObjectStore store =
        AzureObjectStore.open(
            new AzureRepositoryConfig(
                "crash",
                args[1],
                args[2],
                URI.create(args[0]),
                "",
                "Hot",
                new SecretRef("VIGIL_TEST_AZURITE_KEY", null),
                SecretRef.NONE,
                SecretRef.NONE,
                Long.parseLong(args[5])),
            ref -> Secrets.resolve(ref, System::getenv));
    store.uploadFile(
        Path.of(args[3]),
        args[4],
        new ObjectAttributes(null, Map.of("vigil-source", "crash"), Map.of()),
        null,
        progress -> {
          UploadChildren.print(progress);
          // Slow between blocks, so the kill lands while the upload is under way.
          sleep(50);
        },
        progress -> sleep(20));
    System.out.println("DONE");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
