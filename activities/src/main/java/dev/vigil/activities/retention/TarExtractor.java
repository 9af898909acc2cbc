package dev.vigil.activities.retention;

import dev.vigil.activities.restore.DirectoryRestorer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Extracts a directory backup's tar into a directory, refusing any entry that would land outside it
 * with the same checks a restore makes ({@link DirectoryRestorer#safeDestination}).
 */
final class TarExtractor {
  private TarExtractor() {}

  /** Extracts {@code tar} into {@code target}; returns [files, bytes]. */
  static long[] extract(InputStream tar, Path target) throws IOException {
    Path root = target.toAbsolutePath().normalize();
    long files = 0;
    long bytes = 0;
    try (TarArchiveInputStream in = new TarArchiveInputStream(tar)) {
      TarArchiveEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        String name = entry.getName();
        if (entry.isDirectory() && name.endsWith("/")) {
          name = name.substring(0, name.length() - 1);
        }
        // The restore's checks: absolute paths, "..", links out, writes through links, specials.
        Path path = DirectoryRestorer.safeDestination(root, entry, name);
        if (entry.isDirectory()) {
          Files.createDirectories(path);
        } else if (entry.isSymbolicLink()) {
          Files.createDirectories(path.getParent());
          Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
        } else if (entry.isFile()) {
          Files.createDirectories(path.getParent());
          bytes += Files.copy(in, path);
          files++;
        } else {
          continue;
        }
        if (!entry.isSymbolicLink()) {
          setMode(path, entry.getMode());
        }
      }
    }
    return new long[] {files, bytes};
  }

  private static void setMode(Path path, int mode) throws IOException {
    if (mode == 0 || !Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE,
      PosixFilePermission.OTHERS_WRITE,
      PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE,
      PosixFilePermission.OWNER_WRITE,
      PosixFilePermission.OWNER_READ
    };
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        permissions.add(order[bit]);
      }
    }
    // The owner keeps write access to directories, or the rest of the tree could not be written.
    if (Files.isDirectory(path)) {
      permissions.add(PosixFilePermission.OWNER_WRITE);
      permissions.add(PosixFilePermission.OWNER_EXECUTE);
    }
    Files.setPosixFilePermissions(path, permissions);
  }
}
