package dev.vigil.activities.restore;

import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory filled beside its target and moved into place whole. The staging directory {@code
 * .<name>.vigil-staging-<tag>} lives in the target's parent, so the final move is a rename on the
 * same filesystem. A non-empty target being replaced is first renamed to {@code
 * .<name>.vigil-replaced-<tag>}, and removed only once the new tree is in place; {@link #recover}
 * puts it back if a crash came in between.
 */
public final class StagedDirectory {
  private static final Logger log = LoggerFactory.getLogger(StagedDirectory.class);
  private static final Set<PosixFilePermission> PRIVATE =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> DEFAULT =
      PosixFilePermissions.fromString("rwxr-xr-x");

  private final Path target;
  private final Path staging;
  private final Path replaced;

  /** Staging for {@code target}; {@code tag} (a run id) names this run's leftovers. */
  public StagedDirectory(Path target, String tag) {
    if (!tag.matches("[A-Za-z0-9._-]+") || tag.matches("\\.+")) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG, "'" + tag + "' cannot name a staging directory");
    }
    this.target = target;
    String name = target.getFileName().toString();
    this.staging = target.resolveSibling("." + name + ".vigil-staging-" + tag);
    this.replaced = target.resolveSibling("." + name + ".vigil-replaced-" + tag);
  }

  /**
   * Finishes what a crashed attempt with the same tag left: a target moved aside comes back if the
   * new tree never arrived, or is removed if it did.
   */
  public void recover() throws IOException {
    if (!Files.exists(replaced, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      FileTrees.delete(replaced);
    } else {
      Files.move(replaced, target, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /** The directory being restored. */
  public Path target() {
    return target;
  }

  /** The staging directory (it exists once {@link #create} made it). */
  public Path staging() {
    return staging;
  }

  /** A new, empty staging directory (mode 0700 while it fills); an old attempt's is removed. */
  public Path create() throws IOException {
    Files.createDirectories(target.getParent());
    if (Files.exists(staging, LinkOption.NOFOLLOW_LINKS)) {
      FileTrees.delete(staging);
    }
    Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(PRIVATE));
    return staging;
  }

  /**
   * Moves the staging directory into place: onto an absent or empty target in one rename (keeping
   * an existing target's mode); a non-empty one is renamed aside first and removed afterwards.
   */
  public void install() throws IOException {
    install(null);
  }

  /**
   * As {@link #install()}, the target getting {@code mode} (e.g. 0700 for a PostgreSQL data
   * directory) instead of the existing target's.
   */
  public void install(Set<PosixFilePermission> mode) throws IOException {
    boolean exists = Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS);
    Files.setPosixFilePermissions(
        staging,
        mode != null
            ? mode
            : exists ? Files.getPosixFilePermissions(target, LinkOption.NOFOLLOW_LINKS) : DEFAULT);
    if (!exists || isEmpty(target)) {
      // rename(2) replaces an empty directory atomically.
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      return;
    }
    Files.move(target, replaced, StandardCopyOption.ATOMIC_MOVE);
    try {
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.move(replaced, target, StandardCopyOption.ATOMIC_MOVE);
      throw e;
    }
    try {
      FileTrees.delete(replaced);
    } catch (IOException e) {
      // The restore is in place; what is left of the old content is only disk space.
      log.warn("old content of {} left in {}: {}", target, replaced, e.getMessage());
    }
  }

  /** Removes the staging directory after a failure; the target is left as it is. */
  public void discard() {
    try {
      if (Files.exists(staging, LinkOption.NOFOLLOW_LINKS)) {
        FileTrees.delete(staging);
      }
    } catch (IOException e) {
      log.warn("staging directory {} left behind: {}", staging, e.getMessage());
    }
  }

  private static boolean isEmpty(Path directory) throws IOException {
    try (Stream<Path> children = Files.list(directory)) {
      return children.findAny().isEmpty();
    }
  }
}
