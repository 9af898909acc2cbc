package dev.vigil.activities.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.models.BlockListType;
import dev.vigil.activities.testing.AzuriteFixture;
import dev.vigil.workflows.backup.UploadProgress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An Azure upload survives the way a crash breaks it: a real JVM staging blocks into Azurite is
 * killed with SIGKILL after its fifth heartbeat; no blob is visible, and the retry from that
 * heartbeat stages only the blocks Azurite does not have.
 */
class AzureCrashIT {
  private static final long BLOCK_SIZE = 1024 * 1024;
  private static final String KEY = "sources/db/backup-1/data.vgl";

  @TempDir Path temp;

  @Test
  void anUploaderKilledMidUploadLeavesNoBlobAndTheRetryStagesOnlyTheMissingBlocks()
      throws Exception {
    AzuriteFixture azurite = AzuriteFixture.get();
    String container = azurite.newContainer("crash");
    byte[] bytes = new byte[(int) (12 * BLOCK_SIZE + 4242)];
    new Random(42).nextBytes(bytes);
    Path spool = Files.write(temp.resolve("data.vgl"), bytes);
    Process child = start(azurite, container, spool);
    UploadProgress last = UploadChildren.killAfter(child, KEY, bytes.length, 5, 0, beat -> {});

    AzureObjectStore store =
        AzureObjectStore.open(azurite.config(container), AzuriteFixture.secrets());
    assertThat(store.head(KEY)).isEmpty();
    assertThat(store.list("")).isEmpty();
    int staged =
        azurite
            .client(container)
            .getBlobClient(KEY)
            .getBlockBlobClient()
            .listBlocks(BlockListType.UNCOMMITTED)
            .getUncommittedBlocks()
            .size();
    assertThat(staged).as("the killed JVM staged its heartbeat's blocks").isBetween(5, 6);
    assertThat(store.openUploads("sources/"))
        .containsExactly(new OpenUpload(KEY, AzureObjectStore.UNCOMMITTED));

    List<UploadProgress> sent = new CopyOnWriteArrayList<>();
    UploadOutcome retry =
        store.uploadFile(
            spool,
            KEY,
            new ObjectAttributes(null, Map.of("vigil-source", "crash"), Map.of()),
            last,
            sent::add);

    assertThat(retry.parts()).isEqualTo(13);
    assertThat(retry.resumedParts()).isEqualTo(staged);
    assertThat(sent).hasSize(13 - staged);
    assertThat(sent.get(0).partsDone()).isEqualTo(staged + 1);
    try (InputStream in = store.open(KEY)) {
      assertThat(in.readAllBytes()).isEqualTo(bytes);
    }
    assertThat(store.openUploads("")).isEmpty();
    assertThat(store.tags(KEY)).containsEntry("vigil-source", "crash");
  }

  private static Process start(AzuriteFixture azurite, String container, Path spool)
      throws IOException {
    return UploadChildren.start(
        AzureUploadChild.class,
        Map.of(AzuriteFixture.KEY_ENV, AzuriteFixture.ACCOUNT_KEY),
        azurite.endpoint().toString(),
        AzuriteFixture.ACCOUNT,
        container,
        spool.toString(),
        KEY,
        Long.toString(BLOCK_SIZE));
  }
}
