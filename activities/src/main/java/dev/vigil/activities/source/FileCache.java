package dev.vigil.activities.source;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.SequenceWriter;
import dev.vigil.activities.common.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the last chunked dump of a source on this worker learned about each file (restic's parent
 * snapshot check): a file whose size, mtime, ctime and inode are unchanged, and whose every chunk
 * the store still holds, is not read again; its chunk list and SHA-256 are taken from here.
 *
 * <p>Kept in the worker's spool ({@code .file-cache/<source>.jsonl}, written whole and renamed into
 * place). A file changed since it was read always has another ctime (the kernel sets it on every
 * write and metadata change, and nobody can set it back); a file whose times lie within {@link
 * #RACY} of the dump's start is not recorded, so a write in the same clock tick as the read is
 * never missed. A missing or unreadable cache only means every file is read, never a wrong backup.
 */
public final class FileCache {
  private static final Logger log = LoggerFactory.getLogger(FileCache.class);

  /** Files whose mtime or ctime is this close to the dump's start are read again next time. */
  static final long RACY = TimeUnit.SECONDS.toNanos(2);

  /** One file as the dump saw it. */
  public record Entry(
      String path,
      long size,
      long mtimeNanos,
      long ctimeNanos,
      long inode,
      String sha256,
      List<String> chunks) {}

  /** The identity of a file on disk: what must be unchanged for its cached entry to stand. */
  public record Stat(long size, long mtimeNanos, long ctimeNanos, long inode) {
    /** Reads the file's stat without following a symlink. */
    public static Stat of(Path file) throws IOException {
      Map<String, Object> unix =
          Files.readAttributes(
              file, "unix:size,lastModifiedTime,ctime,ino", LinkOption.NOFOLLOW_LINKS);
      return new Stat(
          (Long) unix.get("size"),
          ((FileTime) unix.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS),
          ((FileTime) unix.get("ctime")).to(TimeUnit.NANOSECONDS),
          (Long) unix.get("ino"));
    }
  }

  private final Map<String, Entry> previous;
  private final Map<String, Entry> next = new HashMap<>();
  private final Path file;
  private final long racyAfterNanos;

  private FileCache(Path file, Map<String, Entry> previous, Instant dumpStart) {
    this.file = file;
    this.previous = previous;
    this.racyAfterNanos =
        TimeUnit.SECONDS.toNanos(dumpStart.getEpochSecond()) + dumpStart.getNano() - RACY;
  }

  /** The cache file of {@code source} under the spool {@code root}. */
  public static Path fileOf(Path spoolRoot, String source) {
    return spoolRoot.resolve(".file-cache").resolve(source + ".jsonl");
  }

  /** Loads the cache (empty when there is none or it cannot be read). */
  public static FileCache load(Path file, Instant dumpStart) {
    Map<String, Entry> entries = new HashMap<>();
    if (Files.isRegularFile(file)) {
      try (MappingIterator<Entry> read =
          Json.MAPPER.readerFor(Entry.class).readValues(file.toFile())) {
        while (read.hasNext()) {
          Entry entry = read.next();
          entries.put(entry.path(), entry);
        }
      } catch (IOException | RuntimeException e) {
        log.warn("file cache {} unreadable, every file is read: {}", file, e.getMessage());
        entries.clear();
      }
    }
    return new FileCache(file, entries, dumpStart);
  }

  /**
   * The cached entry of {@code path} if the file is as it was and the store still holds every one
   * of its chunks ({@code stored}); null when the file must be read.
   */
  public Entry unchanged(String path, Stat stat, Set<String> stored) {
    Entry entry = previous.get(path);
    if (entry == null
        || entry.size() != stat.size()
        || entry.mtimeNanos() != stat.mtimeNanos()
        || entry.ctimeNanos() != stat.ctimeNanos()
        || entry.inode() != stat.inode()
        || !stored.containsAll(entry.chunks())) {
      return null;
    }
    return entry;
  }

  /** Records a file for the next dump, unless its times are too recent to be trusted. */
  public void record(String path, Stat stat, String sha256, List<String> chunks) {
    if (stat.mtimeNanos() < racyAfterNanos && stat.ctimeNanos() < racyAfterNanos) {
      next.put(
          path,
          new Entry(
              path,
              stat.size(),
              stat.mtimeNanos(),
              stat.ctimeNanos(),
              stat.inode(),
              sha256,
              List.copyOf(chunks)));
    }
  }

  /** Replaces the cache file with what this dump recorded (call once the dump is complete). */
  public void save() throws IOException {
    Files.createDirectories(file.getParent());
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    try (SequenceWriter out =
        Json.MAPPER.writer().withRootValueSeparator("\n").writeValues(partial.toFile())) {
      for (Entry entry : next.values()) {
        out.write(entry);
      }
    }
    Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
