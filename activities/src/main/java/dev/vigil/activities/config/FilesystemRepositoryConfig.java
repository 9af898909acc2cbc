package dev.vigil.activities.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * A directory backups go to: a local disk or an NFS mount. Objects are files under {@code path} (a
 * key's slashes are directories); the kind keeps one storage class.
 *
 * @param path an absolute directory (a relative one in vigil.yaml is resolved against the file)
 */
public record FilesystemRepositoryConfig(String name, Path path) implements RepositoryConfig {

  /** The one storage class a filesystem has. */
  public static final String STORAGE_CLASS = "STANDARD";

  @Override
  public String type() {
    return "filesystem";
  }

  @Override
  public String storageClass() {
    return STORAGE_CLASS;
  }

  @Override
  public Set<String> archiveStorageClasses() {
    return Set.of();
  }

  /**
   * Why this host cannot store objects at {@code path} (missing, not a directory, not writable), or
   * null when it can.
   */
  @Override
  public String localProblem() {
    if (!Files.exists(path)) {
      return path + " does not exist; create it (mkdir -p " + path + ") or mount it";
    }
    if (!Files.isDirectory(path)) {
      return path + " is not a directory";
    }
    if (!Files.isWritable(path)) {
      return path + " is not writable by this process; fix its owner or mode";
    }
    return null;
  }
}
