package dev.vigil.activities.store;

import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.testing.S3MockFixture;
import org.junit.jupiter.api.BeforeAll;

/** The {@link ObjectStoreContract} for S3, against S3Mock over HTTP. */
class S3ObjectStoreContractIT extends ObjectStoreContract {
  private static S3ObjectStore store;

  @BeforeAll
  static void startS3Mock() {
    S3MockFixture s3mock = S3MockFixture.get();
    S3RepositoryConfig base = s3mock.repositoryConfig(s3mock.newBucket("contract"));
    // The contract's one-part-at-a-time order; S3ParallelUploadIT covers parallel parts.
    store =
        new S3ObjectStore(
            S3MockFixture.withTransfer(base, 1, S3RepositoryConfig.VERIFY_READ_BACK),
            s3mock.client());
  }

  @Override
  ObjectStore store() {
    return store;
  }
}
