package dev.vigil.activities.source;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.SequenceWriter;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.DirectorySourceConfig;
import dev.vigil.workflows.common.ErrorType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * Archives a directory tree as tar, hashing every file on the way, and writes the file list (path,
 * type, size, SHA-256, mode) as JSON lines beside it. Symlinks are stored as links, never followed.
 * Memory stays flat: one buffer, one file at a time, the list streamed to disk.
 */
public final class DirectoryDumper {
  /** The archive's name in the spool. */
  public static final String ARCHIVE = "archive.tar";

  /** The file list's name in the spool. */
  public static final String FILE_LIST = "files.jsonl";

  private static final int BUFFER = 1 << 20;

  /** Writes {@code spoolDir/archive.tar} and {@code spoolDir/files.jsonl}. */
  public DirDump dump(DirectorySourceConfig source, Path spoolDir, LongConsumer bytesWritten) {
    Path archive = spoolDir.resolve(ARCHIVE);
    DirDump dump =
        dump(
            source,
            spoolDir,
            () -> new BufferedOutputStream(Files.newOutputStream(archive), BUFFER),
            (path, type, size) -> {},
            bytesWritten);
    try {
      return new DirDump(
          archive,
          dump.fileList(),
          Files.size(archive),
          dump.entries(),
          dump.contentBytes(),
          dump.consistentAt(),
          dump.warnings());
    } catch (IOException e) {
      throw new VigilException(ErrorType.SPOOL_MISSING, "archive vanished: " + archive, e);
    }
  }

  /**
   * A directory dump streamed as a tar into {@code sink} (the sealer; not closed), read back as a
   * tar on the way ({@link TarStreamCheck}); writes {@code spoolDir/files.jsonl}. The dump's {@code
   * archive} is null (there is no raw file) and {@code archiveBytes} the tar's size.
   *
   * @throws VigilException as {@link #dump}, and DUMP_INVALID if the tar does not read back as the
   *     entries written
   */
  public Streamed dumpInto(
      DirectorySourceConfig source, Path spoolDir, OutputStream sink, LongConsumer bytesWritten) {
    String what = "source '" + source.name() + "': the tar of " + source.path();
    CountingStream counted = new CountingStream(sink);
    try (TarStreamCheck check = new TarStreamCheck(what)) {
      DirDump dump = dump(source, spoolDir, () -> check.tee(counted), check::expect, bytesWritten);
      long checked;
      try {
        checked = check.finish();
      } catch (IOException e) {
        throw new IllegalStateException("the tar check's pipe failed", e);
      }
      return new Streamed(
          new DirDump(
              null,
              dump.fileList(),
              counted.count,
              dump.entries(),
              dump.contentBytes(),
              dump.consistentAt(),
              dump.warnings()),
          checked);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the tar check", e);
    }
  }

  /**
   * A directory dump streamed by {@link #dumpInto}.
   *
   * @param checkedEntries the entries read back from the tar stream, as written
   */
  public record Streamed(DirDump dump, long checkedEntries) {}

  /** Opens the stream the tar goes to. */
  private interface ArchiveOutput {
    OutputStream open() throws IOException;
  }

  /** Told of each entry before its bytes are written. */
  private interface EntryAnnouncer {
    void expect(String path, String type, long size);
  }

  /** The source's directory; SOURCE_NOT_FOUND naming its config key if it is not one. */
  static Path requireDirectory(DirectorySourceConfig source) {
    Path root = source.path();
    if (!Files.isDirectory(root)) {
      throw new VigilException(
          ErrorType.SOURCE_NOT_FOUND,
          "source '"
              + source.name()
              + "': directory "
              + root
              + (Files.exists(root) ? " is not a directory" : " does not exist")
              + "; check sources."
              + source.name()
              + ".path");
    }
    return root;
  }

  private DirDump dump(
      DirectorySourceConfig source,
      Path spoolDir,
      ArchiveOutput output,
      EntryAnnouncer announcer,
      LongConsumer bytesWritten) {
    Path root = requireDirectory(source);
    Instant consistentAt = Instant.now();
    Path fileList = spoolDir.resolve(FILE_LIST);
    Filter filter = new Filter(source.include(), source.exclude());
    List<String> warnings = new ArrayList<>();
    long entries = 0;
    long contentBytes = 0;
    byte[] buffer = new byte[BUFFER];
    try (Stream<Path> walk = Files.walk(root);
        OutputStream file = output.open();
        TarArchiveOutputStream tar = new TarArchiveOutputStream(file);
        SequenceWriter list =
            Json.MAPPER.writer().withRootValueSeparator("\n").writeValues(fileList.toFile())) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      tar.setAddPaxHeadersForNonAsciiNames(true);
      List<Path> paths = walk.filter(path -> !path.equals(root)).sorted().toList();
      long reported = 0;
      for (Path path : paths) {
        String relative = root.relativize(path).toString().replace('\\', '/');
        if (!filter.accepts(relative, Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS))) {
          continue;
        }
        FileEntry entry = archiveOne(path, relative, tar, buffer, warnings, announcer);
        if (entry == null) {
          continue;
        }
        list.write(entry);
        entries++;
        contentBytes += entry.size();
        if (contentBytes - reported >= 64L * BUFFER) {
          bytesWritten.accept(contentBytes);
          reported = contentBytes;
        }
      }
      tar.finish();
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          spoolDir,
          "dump",
          new VigilException(
              ErrorType.DUMP_FAILED,
              "source '" + source.name() + "': cannot archive " + root + ": " + e.getMessage(),
              e));
    }
    bytesWritten.accept(contentBytes);
    return new DirDump(null, fileList, 0, entries, contentBytes, consistentAt, warnings);
  }

  /**
   * Checks the archive's listing matches the recorded file list (paths, types, sizes, order).
   * Returns the number of entries; DUMP_INVALID naming the first difference.
   */
  public long verify(Path archive, Path fileList) {
    try (TarFile tar = new TarFile(archive);
        MappingIterator<FileEntry> recorded =
            Json.MAPPER.readerFor(FileEntry.class).readValues(fileList.toFile())) {
      List<TarArchiveEntry> entries = tar.getEntries();
      long index = 0;
      for (TarArchiveEntry entry : entries) {
        if (!recorded.hasNext()) {
          throw invalid(archive, "has entry " + entry.getName() + " that the file list lacks");
        }
        FileEntry expected = recorded.next();
        String name = entry.isDirectory() ? stripSlash(entry.getName()) : entry.getName();
        if (!name.equals(expected.path())
            || entry.getSize() != expected.size()
            || !type(entry).equals(expected.type())) {
          throw invalid(
              archive,
              "entry "
                  + index
                  + " is "
                  + name
                  + " ("
                  + entry.getSize()
                  + " bytes) but the file list says "
                  + expected.path()
                  + " ("
                  + expected.size()
                  + " bytes)");
        }
        index++;
      }
      if (recorded.hasNext()) {
        throw invalid(archive, "lacks " + recorded.next().path() + " from the file list");
      }
      return index;
    } catch (IOException e) {
      throw invalid(archive, "is unreadable: " + e.getMessage());
    }
  }

  private static FileEntry archiveOne(
      Path path,
      String relative,
      TarArchiveOutputStream tar,
      byte[] buffer,
      List<String> warnings,
      EntryAnnouncer announcer)
      throws IOException {
    PosixFileAttributes attributes =
        Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    int mode = mode(attributes.permissions());
    long mtime = attributes.lastModifiedTime().toMillis();
    if (attributes.isSymbolicLink()) {
      String target = Files.readSymbolicLink(path).toString();
      TarArchiveEntry entry = new TarArchiveEntry(relative, TarArchiveEntry.LF_SYMLINK);
      entry.setLinkName(target);
      entry.setMode(mode | 0120000);
      entry.setModTime(mtime);
      announcer.expect(relative, "symlink", 0);
      tar.putArchiveEntry(entry);
      tar.closeArchiveEntry();
      return new FileEntry(relative, "symlink", 0, null, mode, mtime, target);
    }
    if (attributes.isDirectory()) {
      TarArchiveEntry entry = new TarArchiveEntry(relative + "/");
      entry.setMode(mode | 040000);
      entry.setModTime(mtime);
      announcer.expect(relative, "dir", 0);
      tar.putArchiveEntry(entry);
      tar.closeArchiveEntry();
      return new FileEntry(relative, "dir", 0, null, mode, mtime, null);
    }
    if (!attributes.isRegularFile()) {
      warnings.add("skipped " + relative + ": not a regular file, directory or symlink");
      return null;
    }
    long size = attributes.size();
    TarArchiveEntry entry = new TarArchiveEntry(relative);
    entry.setSize(size);
    entry.setMode(mode | 0100000);
    entry.setModTime(mtime);
    announcer.expect(relative, "file", size);
    tar.putArchiveEntry(entry);
    MessageDigest sha256 = Digests.sha256();
    long copied = 0;
    try (InputStream in = Files.newInputStream(path)) {
      int read;
      while (copied < size
          && (read = in.read(buffer, 0, (int) Math.min(buffer.length, size - copied))) >= 0) {
        tar.write(buffer, 0, read);
        sha256.update(buffer, 0, read);
        copied += read;
      }
    }
    if (copied < size) {
      // The file shrank while being read: pad to the header's size, as GNU tar does, and say so.
      warnings.add(relative + " changed while it was read; its copy is padded and will not verify");
      byte[] zeros = new byte[(int) Math.min(buffer.length, size - copied)];
      while (copied < size) {
        int chunk = (int) Math.min(zeros.length, size - copied);
        tar.write(zeros, 0, chunk);
        sha256.update(zeros, 0, chunk);
        copied += chunk;
      }
    }
    tar.closeArchiveEntry();
    return new FileEntry(
        relative, "file", size, HexFormat.of().formatHex(sha256.digest()), mode, mtime, null);
  }

  /** Counts the bytes of the tar stream. */
  private static final class CountingStream extends java.io.FilterOutputStream {
    private long count;

    CountingStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      out.write(bytes, offset, length);
      count += length;
    }

    @Override
    public void close() throws IOException {
      // The sink is the caller's to close.
      out.flush();
    }
  }

  private static String type(TarArchiveEntry entry) {
    return entry.isSymbolicLink() ? "symlink" : entry.isDirectory() ? "dir" : "file";
  }

  private static String stripSlash(String name) {
    return name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
  }

  private static VigilException invalid(Path archive, String what) {
    return new VigilException(ErrorType.DUMP_INVALID, "archive " + archive + " " + what);
  }

  static int mode(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission permission : permissions) {
      mode |= 1 << (8 - permission.ordinal());
    }
    return mode;
  }

  /** Include and exclude globs over paths relative to the source root. */
  static final class Filter {
    private final List<PathMatcher> include;
    private final List<PathMatcher> exclude;
    private final Map<String, Boolean> excludedDirs = new HashMap<>();

    Filter(List<String> include, List<String> exclude) {
      this.include = include.stream().map(Filter::matcher).toList();
      this.exclude = exclude.stream().map(Filter::matcher).toList();
    }

    boolean accepts(String relative, boolean directory) {
      Path path = Path.of(relative);
      for (Path parent = path.getParent(); parent != null; parent = parent.getParent()) {
        if (excludedDirs.getOrDefault(parent.toString(), false)) {
          return false;
        }
      }
      if (exclude.stream().anyMatch(m -> m.matches(path))) {
        if (directory) {
          excludedDirs.put(relative, true);
        }
        return false;
      }
      // Directories are kept so included files below them restore into their tree.
      return directory || include.isEmpty() || include.stream().anyMatch(m -> m.matches(path));
    }

    private static PathMatcher matcher(String glob) {
      return FileSystems.getDefault().getPathMatcher("glob:" + glob);
    }
  }
}
