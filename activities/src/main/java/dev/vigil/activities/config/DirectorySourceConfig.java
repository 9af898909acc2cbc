package dev.vigil.activities.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A directory tree (models, datasets, config), archived as tar.
 *
 * @param include globs relative to {@code path}; empty means everything
 * @param exclude globs relative to {@code path}
 */
public record DirectorySourceConfig(
    String name,
    String repository,
    String kind,
    Path path,
    List<String> include,
    List<String> exclude,
    String compression,
    Objectives objectives)
    implements SourceConfig {

  @Override
  public String type() {
    return "directory";
  }
}
