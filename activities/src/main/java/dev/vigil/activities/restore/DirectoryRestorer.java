package dev.vigil.activities.restore;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.source.FileEntry;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Extracts a directory backup's tar into a target directory and checks the result against the
 * manifest. An entry that would land outside the target (a {@code ..} path, an absolute path, a
 * symlink or hard link pointing out, a path through a symlink) is refused with UNSAFE_ARCHIVE_ENTRY
 * naming it, before anything is written for it, as restic and Borg do.
 */
public final class DirectoryRestorer {
  private static final int BUFFER = 1 << 20;
  private static final int MAX_LISTED_FAILURES = 20;

  /**
   * Makes {@code target} ready: created if absent; TARGET_NOT_EMPTY if it holds anything and {@code
   * force} is false; with {@code force}, its contents are removed (not followed through symlinks),
   * so the restored tree is exactly the backup's.
   */
  public void prepareTarget(Path target, boolean force) {
    try {
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)
          && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        throw new VigilException(
            ErrorType.INVALID_CONFIG,
            "restore target " + target + " exists and is not a directory; name a directory");
      }
      Files.createDirectories(target);
      List<Path> present;
      try (Stream<Path> children = Files.list(target)) {
        present = children.sorted().toList();
      }
      if (present.isEmpty()) {
        return;
      }
      if (!force) {
        throw new VigilException(
            ErrorType.TARGET_NOT_EMPTY,
            "restore target directory "
                + target
                + " is not empty (it holds "
                + present.get(0).getFileName()
                + (present.size() > 1 ? " and " + (present.size() - 1) + " more" : "")
                + "); restore into an empty or new directory, or pass --force to replace its"
                + " contents");
      }
      for (Path child : present) {
        deleteTree(child);
      }
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED,
          "cannot prepare restore target " + target + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * Extracts {@code tar} into {@code target}, which must exist. Each entry must be the next one
   * {@code expected} lists (path, type, size, link); every file's SHA-256 is computed as it is
   * written and must match. Returns the bytes of file content written.
   */
  public long extract(
      InputStream tar, Path target, Iterator<FileEntry> expected, LongConsumer progress) {
    Path root = target.toAbsolutePath().normalize();
    List<TarArchiveEntry> directories = new ArrayList<>();
    long bytes = 0;
    long reported = 0;
    byte[] buffer = new byte[BUFFER];
    try (TarArchiveInputStream archive =
        new TarArchiveInputStream(new BufferedInputStream(tar, BUFFER))) {
      TarArchiveEntry entry;
      while ((entry = archive.getNextEntry()) != null) {
        String name = stripSlash(entry.getName());
        Path destination = safeDestination(root, entry, name);
        FileEntry recorded = expected.hasNext() ? expected.next() : null;
        checkAgainstManifest(entry, name, recorded);
        if (entry.isDirectory()) {
          Files.createDirectories(destination);
          directories.add(entry);
        } else if (entry.isSymbolicLink()) {
          Files.createDirectories(destination.getParent());
          Files.createSymbolicLink(destination, Path.of(entry.getLinkName()));
        } else if (entry.isLink()) {
          Files.createLink(destination, root.resolve(entry.getLinkName()).normalize());
        } else {
          Files.createDirectories(destination.getParent());
          bytes += writeFile(archive, destination, name, recorded, buffer);
          applyMetadata(destination, entry);
          if (bytes - reported >= 64L * BUFFER) {
            progress.accept(bytes);
            reported = bytes;
          }
        }
      }
    } catch (IOException | UncheckedIOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED,
          "cannot extract the archive into " + target + ": " + e.getMessage(),
          e);
    }
    if (expected.hasNext()) {
      throw new VigilException(
          ErrorType.VALIDATION_FAILED,
          "the archive lacks " + expected.next().path() + ", which the manifest lists");
    }
    try {
      // Directory modes last: a read-only directory would have refused its own children.
      for (int i = directories.size() - 1; i >= 0; i--) {
        TarArchiveEntry directory = directories.get(i);
        applyMetadata(root.resolve(stripSlash(directory.getName())), directory);
      }
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED, "cannot set directory modes in " + target + ": " + e, e);
    }
    progress.accept(bytes);
    return bytes;
  }

  /**
   * Compares the tree under {@code target} with the manifest: every entry present with its type,
   * size, SHA-256 (files) and link target (symlinks), and nothing more.
   */
  public ValidationResult validate(Path target, Iterator<FileEntry> expected, LongConsumer beat) {
    Path root = target.toAbsolutePath().normalize();
    List<String> failures = new ArrayList<>();
    long files = 0;
    long dirs = 0;
    long links = 0;
    long bytes = 0;
    int extraOrMissing = 0;
    try (Stream<Path> walk = Files.walk(root)) {
      Iterator<Path> present = walk.filter(path -> !path.equals(root)).sorted().iterator();
      Path actual = present.hasNext() ? present.next() : null;
      FileEntry recorded = expected.hasNext() ? expected.next() : null;
      while (actual != null || recorded != null) {
        int order =
            actual == null
                ? 1
                : recorded == null ? -1 : actual.compareTo(root.resolve(recorded.path()));
        if (order < 0) {
          extraOrMissing++;
          failures.add("extra: " + root.relativize(actual) + " is not in the backup");
          actual = present.hasNext() ? present.next() : null;
          continue;
        }
        if (order > 0) {
          extraOrMissing++;
          failures.add("missing: " + recorded.path());
          recorded = expected.hasNext() ? expected.next() : null;
          continue;
        }
        String problem = compare(actual, recorded);
        if (problem != null) {
          failures.add(recorded.path() + ": " + problem);
        } else {
          switch (recorded.type()) {
            case "file" -> {
              files++;
              bytes += recorded.size();
            }
            case "dir" -> dirs++;
            default -> links++;
          }
        }
        beat.accept(bytes);
        actual = present.hasNext() ? present.next() : null;
        recorded = expected.hasNext() ? expected.next() : null;
      }
    } catch (IOException | UncheckedIOException e) {
      failures.add("cannot read the restored tree " + target + ": " + e.getMessage());
    }
    List<String> checks = new ArrayList<>();
    if (failures.isEmpty()) {
      checks.add(
          files
              + " files ("
              + bytes
              + " bytes, SHA-256 each), "
              + dirs
              + " directories and "
              + links
              + " symlinks match the manifest; no extra files");
    } else if (extraOrMissing == 0) {
      checks.add("no file is missing or extra");
    }
    return new ValidationResult(failures.isEmpty(), checks, limit(failures));
  }

  private static List<String> limit(List<String> failures) {
    if (failures.size() <= MAX_LISTED_FAILURES) {
      return List.copyOf(failures);
    }
    List<String> shown = new ArrayList<>(failures.subList(0, MAX_LISTED_FAILURES));
    shown.add("… and " + (failures.size() - MAX_LISTED_FAILURES) + " more");
    return shown;
  }

  private static String compare(Path actual, FileEntry recorded) throws IOException {
    switch (recorded.type()) {
      case "dir" -> {
        return Files.isDirectory(actual, LinkOption.NOFOLLOW_LINKS) ? null : "not a directory";
      }
      case "symlink" -> {
        if (!Files.isSymbolicLink(actual)) {
          return "not a symlink";
        }
        String link = Files.readSymbolicLink(actual).toString();
        return link.equals(recorded.linkTarget())
            ? null
            : "links to " + link + ", the backup has " + recorded.linkTarget();
      }
      default -> {
        if (!Files.isRegularFile(actual, LinkOption.NOFOLLOW_LINKS)) {
          return "not a regular file";
        }
        long size = Files.size(actual);
        if (size != recorded.size()) {
          return size + " bytes, the backup has " + recorded.size();
        }
        String sha256;
        try (InputStream in = Files.newInputStream(actual)) {
          sha256 = Digests.sha256Hex(in);
        }
        return sha256.equals(recorded.sha256())
            ? null
            : "SHA-256 " + sha256 + ", the backup has " + recorded.sha256();
      }
    }
  }

  /**
   * Where {@code entry} goes under {@code root}; UNSAFE_ARCHIVE_ENTRY if it (or the link it is)
   * would reach outside, or if it would be written through a symlink.
   */
  public static Path safeDestination(Path root, TarArchiveEntry entry, String name)
      throws IOException {
    if (name.isEmpty()
        || name.startsWith("/")
        || name.matches("^[A-Za-z]:.*")
        || name.contains("\\")
        || name.contains("\0")) {
      throw unsafe(name, "has an absolute or malformed path");
    }
    for (String segment : name.split("/")) {
      if (segment.equals("..")) {
        throw unsafe(name, "climbs out with '..'");
      }
    }
    Path destination = root.resolve(name).normalize();
    if (!destination.startsWith(root) || destination.equals(root)) {
      throw unsafe(name, "resolves outside the target");
    }
    for (Path parent = destination.getParent();
        parent != null && !parent.equals(root);
        parent = parent.getParent()) {
      if (Files.isSymbolicLink(parent)) {
        throw unsafe(name, "would be written through the symlink " + root.relativize(parent));
      }
    }
    if (Files.exists(destination, LinkOption.NOFOLLOW_LINKS)
        && !(entry.isDirectory() && Files.isDirectory(destination, LinkOption.NOFOLLOW_LINKS))) {
      throw unsafe(name, "appears twice in the archive");
    }
    if (entry.isSymbolicLink()) {
      String link = entry.getLinkName();
      if (link == null || link.isEmpty() || Path.of(link).isAbsolute()) {
        throw unsafe(name, "is a symlink to the absolute path '" + link + "'");
      }
      if (!destination.getParent().resolve(link).normalize().startsWith(root)) {
        throw unsafe(name, "is a symlink to '" + link + "', outside the target");
      }
    } else if (entry.isLink()) {
      String link = entry.getLinkName();
      Path linked = link == null ? root : root.resolve(link).normalize();
      if (link == null
          || Path.of(link).isAbsolute()
          || !linked.startsWith(root)
          || !Files.isRegularFile(linked, LinkOption.NOFOLLOW_LINKS)) {
        throw unsafe(name, "is a hard link to '" + link + "', not a file inside the target");
      }
    } else if (!entry.isDirectory() && !entry.isFile()) {
      throw unsafe(name, "is a device, FIFO or other special file");
    }
    return destination;
  }

  private static void checkAgainstManifest(TarArchiveEntry entry, String name, FileEntry recorded) {
    if (recorded == null) {
      throw new VigilException(
          ErrorType.VALIDATION_FAILED,
          "archive entry '" + name + "' is not in the manifest; the backup is inconsistent");
    }
    String type = entry.isSymbolicLink() ? "symlink" : entry.isDirectory() ? "dir" : "file";
    boolean sizeMatches = !type.equals("file") || entry.getSize() == recorded.size();
    if (!name.equals(recorded.path()) || !type.equals(recorded.type()) || !sizeMatches) {
      throw new VigilException(
          ErrorType.VALIDATION_FAILED,
          "archive entry '"
              + name
              + "' ("
              + type
              + ", "
              + entry.getSize()
              + " bytes) differs from the manifest's '"
              + recorded.path()
              + "' ("
              + recorded.type()
              + ", "
              + recorded.size()
              + " bytes)");
    }
  }

  private static long writeFile(
      InputStream archive, Path destination, String name, FileEntry recorded, byte[] buffer)
      throws IOException {
    MessageDigest sha256 = Digests.sha256();
    long written = 0;
    // CREATE_NEW with NOFOLLOW_LINKS: never through a link planted at the final component.
    try (OutputStream out =
        Files.newOutputStream(
            destination,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS)) {
      int read;
      while ((read = archive.read(buffer)) >= 0) {
        out.write(buffer, 0, read);
        sha256.update(buffer, 0, read);
        written += read;
      }
    }
    String actual = Digests.hex(sha256);
    if (recorded.sha256() != null && !actual.equals(recorded.sha256())) {
      throw new VigilException(
          ErrorType.VALIDATION_FAILED,
          "restored file '"
              + name
              + "' has SHA-256 "
              + actual
              + " but the manifest records "
              + recorded.sha256());
    }
    return written;
  }

  private static void applyMetadata(Path path, TarArchiveEntry entry) throws IOException {
    Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values();
    int mode = entry.getMode() & 0777;
    for (int bit = 0; bit < 9; bit++) {
      if ((mode & (1 << (8 - bit))) != 0) {
        permissions.add(all[bit]);
      }
    }
    Files.setPosixFilePermissions(path, permissions);
    Files.setLastModifiedTime(path, FileTime.from(entry.getModTime().toInstant()));
  }

  private static String stripSlash(String name) {
    String stripped = name;
    while (stripped.endsWith("/")) {
      stripped = stripped.substring(0, stripped.length() - 1);
    }
    if (stripped.startsWith("./")) {
      stripped = stripped.substring(2);
    }
    return stripped;
  }

  private static VigilException unsafe(String name, String why) {
    return new VigilException(
        ErrorType.UNSAFE_ARCHIVE_ENTRY,
        "archive entry '" + name + "' " + why + "; refused, nothing was written for it");
  }

  private static void deleteTree(Path path) throws IOException {
    FileTrees.delete(path);
  }
}
