package dev.vigil.activities.config;

import java.nio.file.Path;

/** Parses a repository of {@code type: filesystem}. */
final class FilesystemRepositoryConfigParser {
  private FilesystemRepositoryConfigParser() {}

  static FilesystemRepositoryConfig parse(ConfigNode repo) {
    repo.allow("type", "path");
    if (repo.requiredText("path") == null) {
      return null;
    }
    Path path = repo.path("path", null);
    return new FilesystemRepositoryConfig(repo.key, path);
  }
}
