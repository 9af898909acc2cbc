package dev.vigil.activities.restore;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.WorkerConfig;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The directories this worker lets a restore write into: {@code worker.restore-roots} plus the
 * spool's scratch areas for restores ({@code <spool-dir>/restores}) and drills ({@code
 * <spool-dir>/drills}). Checked on the worker, on real paths, before anything is downloaded or
 * deleted, so a request (CLI or HTTP API) cannot point a restore at {@code /etc}.
 */
public final class RestoreRoots {
  /** Where restores may go when vigil.yaml names no root: {@code <spool-dir>/restores}. */
  public static final String SPOOL_RESTORES = "restores";

  /** The drill environments' scratch area: {@code <spool-dir>/drills}. */
  public static final String SPOOL_DRILLS = "drills";

  private final List<Path> roots;

  /** The given roots, absolute. */
  public RestoreRoots(List<Path> roots) {
    this.roots = roots.stream().map(root -> root.toAbsolutePath().normalize()).toList();
  }

  /** The configured roots and the spool's scratch areas. */
  public static RestoreRoots of(WorkerConfig worker) {
    List<Path> roots = new ArrayList<>(worker.restoreRoots());
    roots.add(worker.spoolDir().resolve(SPOOL_RESTORES));
    roots.add(worker.spoolDir().resolve(SPOOL_DRILLS));
    return new RestoreRoots(roots);
  }

  /** The roots as configured, for messages and docs. */
  public List<Path> roots() {
    return roots;
  }

  /**
   * The real path of {@code target} (symlinks of what exists resolved), if it lies strictly inside
   * one of the roots' real paths; RESTORE_TARGET_FORBIDDEN naming the target and the roots
   * otherwise. A relative path or a {@code ..} segment is refused outright.
   */
  public Path check(String target) {
    if (target == null
        || !target.startsWith("/")
        || List.of(target.split("/")).contains("..")
        || target.contains("\0")) {
      throw forbidden(target, "is not an absolute path without '..'");
    }
    Path real;
    try {
      real = realPath(Path.of(target));
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED,
          "cannot resolve restore target " + target + ": " + e.getMessage(),
          e);
    }
    for (Path root : roots) {
      Path realRoot;
      try {
        realRoot = realPath(root);
      } catch (IOException e) {
        continue;
      }
      if (real.startsWith(realRoot) && !real.equals(realRoot)) {
        return real;
      }
    }
    String really = real.equals(Path.of(target).normalize()) ? "" : " (really " + real + ")";
    throw forbidden(target, really + " is outside the directories this worker restores into");
  }

  private VigilException forbidden(String target, String why) {
    return new VigilException(
        ErrorType.RESTORE_TARGET_FORBIDDEN,
        "restore target "
            + target
            + (why.startsWith(" ") ? "" : " ")
            + why
            + "; allowed: a directory inside "
            + roots.stream().map(Path::toString).collect(Collectors.joining(", "))
            + " (add one to worker.restore-roots in vigil.yaml)");
  }

  /**
   * The real path of the longest existing prefix (every symlink followed) with the rest appended:
   * where a write to {@code path} would really land.
   */
  static Path realPath(Path path) throws IOException {
    return realPath(path, 0);
  }

  private static Path realPath(Path path, int hops) throws IOException {
    if (hops > 40) {
      throw new IOException("too many levels of symbolic links at " + path);
    }
    Path absolute = path.toAbsolutePath().normalize();
    Path existing = absolute;
    while (existing != null && !Files.exists(existing)) {
      if (Files.isSymbolicLink(existing)) {
        // A dangling link: what it names does not exist yet, but a write would follow it.
        Path linked = existing.resolveSibling(Files.readSymbolicLink(existing));
        return realPath(linked.resolve(existing.relativize(absolute)), hops + 1);
      }
      existing = existing.getParent();
    }
    if (existing == null) {
      return absolute;
    }
    Path real = existing.toRealPath();
    return real.resolve(existing.relativize(absolute)).normalize();
  }

  /** INVALID_CONFIG unless the worker may write where the target is (or would be created). */
  public static void requireWritable(Path target) {
    Path existing = target;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isWritable(existing)) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "restore target "
              + target
              + " is not writable by the worker ("
              + existing
              + "); fix its permissions or restore elsewhere");
    }
  }
}
