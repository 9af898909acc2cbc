package dev.vigil.activities.restore;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Extracts a tar into a directory of its own (a restore's or a rehydration's staging directory),
 * checking every entry on the real paths it would touch, following the links the archive already
 * made, before anything is written for it. Refused with UNSAFE_ARCHIVE_ENTRY naming the entry:
 *
 * <ul>
 *   <li>a name that is absolute, empty, has {@code ..}, {@code .} or empty segments, a backslash or
 *       NUL;
 *   <li>an entry whose parent chain holds a symlink or a non-directory, or whose parent's real path
 *       is not the one inside the target it names;
 *   <li>a symlink whose target, resolved from its real parent and through every link already
 *       created, leaves the target at any step (checked again once the whole archive is out, so a
 *       link created later cannot bend an earlier one outside);
 *   <li>a hard link to anything but a regular file this extraction wrote;
 *   <li>devices, FIFOs and other special files, and an entry that appears twice.
 * </ul>
 *
 * <p>Regular files are created with {@code CREATE_NEW} and {@code NOFOLLOW_LINKS}; modes (without
 * set-id bits) and modification times are restored, directory modes last.
 */
public final class SafeTarExtractor {
  private static final int BUFFER = 1 << 20;
  private static final int MAX_LINK_HOPS = 40;

  /** What a caller checks per entry (a manifest), in archive order. */
  public interface Listener {
    /** Called once the entry is known to be safe, before anything is written for it. */
    void entry(TarArchiveEntry entry, String name);

    /** Called after a regular file's content was written, with its SHA-256. */
    void written(String name, String sha256);
  }

  /** A listener that checks nothing. */
  public static final Listener NO_CHECKS =
      new Listener() {
        @Override
        public void entry(TarArchiveEntry entry, String name) {}

        @Override
        public void written(String name, String sha256) {}
      };

  /** What an extraction wrote: regular files (hard links not counted) and their bytes. */
  public record Extracted(long files, long bytes) {}

  private final Path root;
  private final Set<Path> extractedFiles = new HashSet<>();
  private final Map<Path, String> symlinks = new LinkedHashMap<>();
  private final List<Path> directories = new ArrayList<>();
  private final Map<Path, TarArchiveEntry> directoryEntries = new LinkedHashMap<>();

  /**
   * Directories whose whole chain from the root was checked to be real directories, no link on the
   * way. An entry cannot turn one into anything else later (a path that exists is refused as
   * appearing twice), so an entry below one is not walked again: thousands of files in a few
   * directories cost a dozen system calls less each.
   */
  private final Set<Path> checkedDirectories = new HashSet<>();

  private SafeTarExtractor(Path root) {
    this.root = root;
  }

  /**
   * Extracts {@code tar} into {@code target}, an existing directory that this extraction owns
   * (nothing else writes into it meanwhile). {@code progress} gets the file bytes written so far
   * every 64 MiB and at the end.
   */
  public static Extracted extract(
      InputStream tar, Path target, Listener listener, LongConsumer progress) throws IOException {
    SafeTarExtractor extractor = new SafeTarExtractor(target.toRealPath());
    return extractor.run(tar, listener, progress);
  }

  /**
   * An extraction into {@code target} (an existing directory it owns) whose entries come one at a
   * time from somewhere other than a tar stream (a chunked backup's snapshot), checked exactly as a
   * tar's are: {@link #add} each entry in order, write a regular file's content where it says, then
   * {@link #written} it, and {@link #finish} at the end.
   */
  public static SafeTarExtractor into(Path target) throws IOException {
    return new SafeTarExtractor(target.toRealPath());
  }

  /**
   * Checks {@code entry} (named {@code name} after {@link #name}) and makes it: a directory, a
   * symlink or a hard link is created here; for a regular file the returned path is where its
   * content goes, to be created by the caller with {@link #createFile}. UNSAFE_ARCHIVE_ENTRY if the
   * entry is refused; nothing is written for it then. {@link #add}, {@link #written} and {@link
   * #finish} may be called from different threads (entries added ahead on one, files written on
   * another), each in order.
   */
  public synchronized Path add(TarArchiveEntry entry, String name, Listener listener)
      throws IOException {
    Path destination = checkedDestination(entry, name);
    listener.entry(entry, name);
    if (entry.isDirectory()) {
      Files.createDirectories(destination);
      if (directoryEntries.put(destination, entry) == null) {
        directories.add(destination);
      }
    } else if (entry.isSymbolicLink()) {
      Files.createSymbolicLink(destination, Path.of(entry.getLinkName()));
      symlinks.put(destination, name);
    } else if (entry.isLink()) {
      Files.createLink(destination, hardLinkSource(entry, name));
      extractedFiles.add(destination);
    }
    return destination;
  }

  /**
   * A regular file {@link #add} returned, opened for writing: {@code CREATE_NEW} with {@code
   * NOFOLLOW_LINKS}, so never through a link planted at the final component.
   */
  public static FileChannel createFile(Path destination) throws IOException {
    return FileChannel.open(
        destination,
        StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS);
  }

  /** Records a regular file whose content is written: its mode and time are applied. */
  public synchronized void written(Path destination, TarArchiveEntry entry) throws IOException {
    extractedFiles.add(destination);
    applyMetadata(destination, entry);
  }

  /**
   * Ends the extraction: every symlink is checked again (a later link can bend an earlier one
   * outside), then directory modes are applied, deepest last-made first.
   */
  public synchronized void finish() throws IOException {
    // A link made later can bend an earlier, dangling one outside (a -> x/.., then x -> .).
    for (Map.Entry<Path, String> link : symlinks.entrySet()) {
      String text = Files.readSymbolicLink(link.getKey()).toString();
      if (resolveInside(link.getKey().getParent(), text) == null) {
        throw unsafe(
            link.getValue(),
            "is a symlink to '" + text + "', which leads outside the target through later links");
      }
    }
    // Directory modes last: a read-only directory would have refused its own children.
    for (int i = directories.size() - 1; i >= 0; i--) {
      Path directory = directories.get(i);
      applyMetadata(directory, directoryEntries.get(directory));
    }
  }

  private Extracted run(InputStream tar, Listener listener, LongConsumer progress)
      throws IOException {
    long files = 0;
    long bytes = 0;
    long reported = 0;
    byte[] buffer = new byte[BUFFER];
    try (TarArchiveInputStream archive =
        new TarArchiveInputStream(new BufferedInputStream(tar, BUFFER))) {
      TarArchiveEntry entry;
      while ((entry = archive.getNextEntry()) != null) {
        String name = name(entry.getName());
        Path destination = add(entry, name, listener);
        if (!entry.isDirectory() && !entry.isSymbolicLink() && !entry.isLink()) {
          String sha256 = writeFile(archive, destination, buffer);
          written(destination, entry);
          files++;
          bytes += Files.size(destination);
          listener.written(name, sha256);
          if (bytes - reported >= 64L * BUFFER) {
            progress.accept(bytes);
            reported = bytes;
          }
        }
      }
    }
    finish();
    progress.accept(bytes);
    return new Extracted(files, bytes);
  }

  /**
   * The entry's path under the root, once its name, its real parent chain and (for links) what it
   * links to are known to stay inside; creates the parent directories it needs.
   */
  private Path checkedDestination(TarArchiveEntry entry, String name) throws IOException {
    checkName(name, name, "has an absolute or malformed path");
    Path destination = root.resolve(name);
    Path parent = destination.getParent();
    if (!checkedDirectories.contains(parent)) {
      checkParents(name, parent);
    }
    if (Files.exists(destination, LinkOption.NOFOLLOW_LINKS)
        && !(entry.isDirectory() && Files.isDirectory(destination, LinkOption.NOFOLLOW_LINKS))) {
      throw unsafe(name, "appears twice in the archive");
    }
    if (entry.isSymbolicLink()) {
      String link = entry.getLinkName();
      if (link == null || link.isEmpty() || link.startsWith("/") || link.contains("\0")) {
        throw unsafe(name, "is a symlink to the absolute path '" + link + "'");
      }
      if (resolveInside(parent, link) == null) {
        throw unsafe(name, "is a symlink to '" + link + "', outside the target");
      }
    } else if (entry.isLink()) {
      hardLinkSource(entry, name);
    } else if (!entry.isDirectory() && !entry.isFile()) {
      throw unsafe(name, "is a device, FIFO or other special file");
    }
    return destination;
  }

  /** Checks the chain from the root to {@code parent}, creates what is missing and records it. */
  private void checkParents(String name, Path parent) throws IOException {
    Path walked = root;
    for (Path segment : root.relativize(parent)) {
      if (segment.toString().isEmpty()) {
        break;
      }
      walked = walked.resolve(segment);
      if (Files.isSymbolicLink(walked)) {
        throw unsafe(name, "would be written through the symlink " + root.relativize(walked));
      }
      if (Files.exists(walked, LinkOption.NOFOLLOW_LINKS)
          && !Files.isDirectory(walked, LinkOption.NOFOLLOW_LINKS)) {
        throw unsafe(name, "lies below " + root.relativize(walked) + ", which is not a directory");
      }
    }
    Files.createDirectories(parent);
    // The parent's real path must be the one named: no link anywhere on the way.
    if (!parent.toRealPath().equals(parent)) {
      throw unsafe(name, "has a parent that resolves to " + parent.toRealPath() + ", not inside");
    }
    for (Path directory = parent;
        directory != null && directory.startsWith(root);
        directory = directory.getParent()) {
      checkedDirectories.add(directory);
    }
  }

  /** The file a hard link entry links to: only a regular file this extraction wrote. */
  private Path hardLinkSource(TarArchiveEntry entry, String name) {
    String link = entry.getLinkName() == null ? "" : name(entry.getLinkName());
    String refusal =
        "is a hard link to '" + entry.getLinkName() + "', not a file this restore wrote";
    checkName(link, name, refusal);
    Path source = root.resolve(link);
    if (!extractedFiles.contains(source)
        || !Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
      throw unsafe(name, refusal);
    }
    return source;
  }

  /**
   * Where {@code link}, read in the real directory {@code from}, leads when every link on the way
   * is followed; null if any step climbs above the root, is absolute, or loops.
   */
  private Path resolveInside(Path from, String link) throws IOException {
    Deque<String> pending = new ArrayDeque<>(List.of(link.split("/")));
    Path current = from;
    int hops = 0;
    while (!pending.isEmpty()) {
      String segment = pending.pollFirst();
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        if (current.equals(root)) {
          return null;
        }
        current = current.getParent();
        continue;
      }
      Path next = current.resolve(segment);
      if (Files.isSymbolicLink(next)) {
        String text = Files.readSymbolicLink(next).toString();
        if (++hops > MAX_LINK_HOPS || text.startsWith("/")) {
          return null;
        }
        List<String> inner = List.of(text.split("/"));
        for (int i = inner.size() - 1; i >= 0; i--) {
          pending.addFirst(inner.get(i));
        }
        // A relative link resolves from the directory that holds it: current stays.
        continue;
      }
      current = next;
    }
    return current;
  }

  private static void checkName(String name, String entry, String refusal) {
    if (name.isEmpty()
        || name.startsWith("/")
        || name.matches("^[A-Za-z]:.*")
        || name.contains("\\")
        || name.contains("\0")) {
      throw unsafe(entry, refusal);
    }
    for (String segment : name.split("/", -1)) {
      if (segment.equals("..")) {
        throw unsafe(entry, name.equals(entry) ? "climbs out with '..'" : refusal);
      }
      if (segment.isEmpty() || segment.equals(".")) {
        throw unsafe(entry, refusal);
      }
    }
  }

  /** The entry's name without trailing slashes and a leading {@code ./}. */
  static String name(String raw) {
    String stripped = raw;
    while (stripped.endsWith("/")) {
      stripped = stripped.substring(0, stripped.length() - 1);
    }
    if (stripped.startsWith("./")) {
      stripped = stripped.substring(2);
    }
    return stripped;
  }

  private static String writeFile(InputStream archive, Path destination, byte[] buffer)
      throws IOException {
    MessageDigest sha256 = Digests.sha256();
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
      }
    }
    return Digests.hex(sha256);
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

  static VigilException unsafe(String name, String why) {
    return new VigilException(
        ErrorType.UNSAFE_ARCHIVE_ENTRY,
        "archive entry '" + name + "' " + why + "; refused, nothing was written for it");
  }
}
