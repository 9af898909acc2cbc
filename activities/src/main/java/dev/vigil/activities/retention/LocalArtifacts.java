package dev.vigil.activities.retention;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finds the local artifacts of a model directory: subdirectories named {@code checkpoint-*}, {@code
 * best}, {@code production} or {@code rollback}, at any depth, or any directory holding a marker
 * file {@value #MARKER} whose content names one of those types (the marker wins over the name). The
 * search does not descend into an artifact, and never follows symlinks.
 */
public final class LocalArtifacts {
  /** A file that tags its directory with an artifact type, e.g. {@code production}. */
  public static final String MARKER = ".vigil-artifact";

  /** The artifact types, in the order the config lists them. */
  public static final Set<String> TYPES = Set.of("checkpoint", "best", "production", "rollback");

  private LocalArtifacts() {}

  /** Every artifact under {@code root}, sorted by path. */
  public static List<LocalArtifact> scan(Path root) throws IOException {
    List<LocalArtifact> artifacts = new ArrayList<>();
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      return artifacts;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes)
              throws IOException {
            if (dir.equals(root)) {
              return FileVisitResult.CONTINUE;
            }
            String type = typeOf(dir);
            if (type == null) {
              return FileVisitResult.CONTINUE;
            }
            artifacts.add(describe(root, dir, type));
            return FileVisitResult.SKIP_SUBTREE;
          }
        });
    artifacts.sort(Comparator.comparing(LocalArtifact::path));
    return artifacts;
  }

  /** The artifact type of a directory, or null if it is not one. */
  static String typeOf(Path dir) throws IOException {
    Path marker = dir.resolve(MARKER);
    if (Files.isRegularFile(marker, LinkOption.NOFOLLOW_LINKS)) {
      String tagged = Files.readString(marker).trim().toLowerCase(Locale.ROOT);
      if (TYPES.contains(tagged)) {
        return tagged;
      }
    }
    String name = dir.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.equals("checkpoint") || name.startsWith("checkpoint-")) {
      return "checkpoint";
    }
    return TYPES.contains(name) ? name : null;
  }

  private static LocalArtifact describe(Path root, Path dir, String type) throws IOException {
    Map<String, Long> files = new LinkedHashMap<>();
    Instant newest = Files.getLastModifiedTime(dir, LinkOption.NOFOLLOW_LINKS).toInstant();
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted().toList()) {
        BasicFileAttributes attributes =
            Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isRegularFile() || path.getFileName().toString().equals(MARKER)) {
          continue;
        }
        files.put(relative(root, path), attributes.size());
        Instant modified = attributes.lastModifiedTime().toInstant();
        if (modified.isAfter(newest)) {
          newest = modified;
        }
      }
    }
    return new LocalArtifact(relative(root, dir), type, newest, files);
  }

  static String relative(Path root, Path path) {
    return root.relativize(path).toString().replace('\\', '/');
  }
}
