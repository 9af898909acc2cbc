package dev.vigil.activities.store;

import dev.vigil.activities.config.AzureRepositoryConfig;
import dev.vigil.activities.testing.AzuriteFixture;
import org.junit.jupiter.api.BeforeAll;

/** The {@link ObjectStoreContract} of a {@code type: azure} repository, against Azurite. */
class AzureObjectStoreContractIT extends ObjectStoreContract {
  private static AzureObjectStore store;

  @BeforeAll
  static void storeOnAzurite() {
    AzuriteFixture azurite = AzuriteFixture.get();
    AzureRepositoryConfig base = azurite.config(azurite.newContainer("contract"));
    store =
        AzureObjectStore.open(
            new AzureRepositoryConfig(
                base.name(),
                base.account(),
                base.container(),
                base.endpoint(),
                base.prefix(),
                base.accessTier(),
                base.accountKey(),
                base.sasToken(),
                base.connectionString(),
                PART_SIZE),
            AzuriteFixture.secrets());
  }

  @Override
  ObjectStore store() {
    return store;
  }
}
