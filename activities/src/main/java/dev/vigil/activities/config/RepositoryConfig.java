package dev.vigil.activities.config;

import java.util.Set;

/**
 * One entry of {@code repositories:} in vigil.yaml: where backups are stored. Each kind ({@code
 * type:}) has its own record; {@link RepositoryConfigParser} parses them and {@code
 * dev.vigil.activities.store.Repositories} opens an {@code ObjectStore} for them.
 */
public interface RepositoryConfig {

  /** The repository's name in vigil.yaml. */
  String name();

  /** Its kind, the {@code type:} it was configured with ({@code s3}, {@code filesystem} …). */
  String type();

  /** The storage class new objects get. */
  String storageClass();

  /**
   * The storage classes retention may move archived copies to. Empty for a kind with one class (a
   * filesystem): a policy that archives to a class the repository lacks is refused when the config
   * is loaded, not when retention runs.
   */
  Set<String> archiveStorageClasses();

  /**
   * Why this host cannot use the repository as configured (a filesystem path that is missing or not
   * writable), or null. Checked when the config is loaded, unless local paths are not checked
   * (verbs that never touch the repository's storage).
   */
  default String localProblem() {
    return null;
  }
}
