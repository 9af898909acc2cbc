package dev.vigil.activities.store;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.FilesystemRepositoryConfig;
import dev.vigil.activities.config.RepositoryConfig;
import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.config.SecretRef;
import dev.vigil.workflows.common.ErrorType;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Opens the {@link ObjectStore} of a configured repository, by its kind. A new kind is one {@link
 * ObjectStore} implementation and one entry in {@link #KINDS} (plus its config parser).
 */
public final class Repositories {

  /** Opens a store for one kind of repository config. */
  @FunctionalInterface
  interface Opener {
    ObjectStore open(RepositoryConfig config, Function<SecretRef, String> secrets);
  }

  private static final Map<String, Opener> KINDS =
      Map.of(
          "s3", (config, secrets) -> S3ObjectStore.open((S3RepositoryConfig) config, secrets),
          // GCS through its S3-compatible XML API: the S3 store with GCS's settings.
          "gcs", (config, secrets) -> S3ObjectStore.open((S3RepositoryConfig) config, secrets),
          "filesystem",
              (config, secrets) -> new FilesystemObjectStore((FilesystemRepositoryConfig) config));

  private Repositories() {}

  /**
   * The store of {@code config}; the caller closes it (which releases its client).
   *
   * @param secrets returns the value a {@link SecretRef} points to; may throw {@link
   *     IllegalArgumentException} naming the reference, which becomes INVALID_CONFIG
   */
  public static ObjectStore open(RepositoryConfig config, Function<SecretRef, String> secrets) {
    Opener opener = KINDS.get(config.type());
    if (opener == null) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "repository '"
              + config.name()
              + "': unknown repository type \""
              + config.type()
              + "\"; known: "
              + new TreeSet<>(KINDS.keySet()));
    }
    return opener.open(config, secrets);
  }
}
