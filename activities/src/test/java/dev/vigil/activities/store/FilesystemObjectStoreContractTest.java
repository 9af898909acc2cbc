package dev.vigil.activities.store;

import dev.vigil.activities.config.FilesystemRepositoryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The {@link ObjectStoreContract} for the filesystem store, on a directory of this disk. */
class FilesystemObjectStoreContractTest extends ObjectStoreContract {
  @TempDir static Path repository;
  private static FilesystemObjectStore store;

  @BeforeAll
  static void createRepository() throws IOException {
    Path root = Files.createDirectories(repository.resolve("backups"));
    store =
        new FilesystemObjectStore(
            new FilesystemRepositoryConfig("local", root), PART_SIZE, PartProgress.EVERY);
  }

  @Override
  ObjectStore store() {
    return store;
  }
}
