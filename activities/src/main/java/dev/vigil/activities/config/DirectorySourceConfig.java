package dev.vigil.activities.config;

import java.nio.file.Path;
import java.util.List;

/**
 * A directory tree (models, datasets, config), archived as tar or as content-addressed chunks.
 *
 * @param include globs relative to {@code path}; empty means everything
 * @param exclude globs relative to {@code path}
 * @param layout {@code tar} (one sealed archive per backup) or {@code chunked} (deduplicated chunks
 *     in packs shared by the source's backups)
 */
public record DirectorySourceConfig(
    String name,
    String repository,
    String kind,
    Path path,
    List<String> include,
    List<String> exclude,
    String compression,
    Objectives objectives,
    String layout)
    implements SourceConfig {

  /** The tar layout, the default. */
  public static final String TAR = "tar";

  /** The content-addressed layout. */
  public static final String CHUNKED = "chunked";

  /** A source in the default tar layout. */
  public DirectorySourceConfig(
      String name,
      String repository,
      String kind,
      Path path,
      List<String> include,
      List<String> exclude,
      String compression,
      Objectives objectives) {
    this(name, repository, kind, path, include, exclude, compression, objectives, TAR);
  }

  /** Whether backups of this source are chunked. */
  public boolean chunked() {
    return CHUNKED.equals(layout);
  }

  @Override
  public String type() {
    return "directory";
  }
}
