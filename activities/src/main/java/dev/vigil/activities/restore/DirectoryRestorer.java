package dev.vigil.activities.restore;

import dev.vigil.activities.cas.ParallelChunkReader;
import dev.vigil.activities.cas.Snapshot;
import dev.vigil.activities.cas.SnapshotTar;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.source.FileEntry;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.ValidationResult;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Restores a directory backup's tar and checks the result against the manifest. Extraction goes
 * through {@link SafeTarExtractor} (every entry checked on real paths, refused with
 * UNSAFE_ARCHIVE_ENTRY naming it) into a staging directory next to the target, on the same
 * filesystem; only a complete, verified tree is moved into place, so a restore that fails leaves
 * the target as it was.
 */
public final class DirectoryRestorer {
  private static final int MAX_LISTED_FAILURES = 20;

  /**
   * Checks {@code target} without changing it: INVALID_CONFIG if it exists and is not a directory
   * (a symlink included); TARGET_NOT_EMPTY if it holds anything and {@code force} is false.
   */
  public void checkTarget(Path target, boolean force) {
    try {
      if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        throw new VigilException(
            ErrorType.INVALID_CONFIG,
            "restore target " + target + " exists and is not a directory; name a directory");
      }
      List<Path> present;
      try (Stream<Path> children = Files.list(target)) {
        present = children.sorted().toList();
      }
      if (!present.isEmpty() && !force) {
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
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.RESTORE_FAILED, "cannot read restore target " + target + ": " + e, e);
    }
  }

  /**
   * Restores {@code tar} into {@code target} through a staging directory {@code
   * .<name>.vigil-staging-<tag>} beside it: the target is checked ({@link #checkTarget}), the
   * archive is extracted and verified against {@code expected} in the staging directory, and only
   * then moved into place. With {@code force}, the old content is moved aside only after that and
   * removed once the new tree is in place. On any failure the staging directory is removed and the
   * target is as it was. {@code tag} (the restore id) makes a retried attempt find and replace its
   * own leftovers. {@code tar} is read to its end before the tree is moved into place. Returns the
   * bytes of file content written.
   */
  public long restore(
      InputStream tar,
      Path target,
      String tag,
      boolean force,
      Iterator<FileEntry> expected,
      LongConsumer progress) {
    StagedDirectory staged = new StagedDirectory(target, tag);
    try {
      staged.recover();
      checkTarget(target, force);
      Path staging = staged.create();
      long bytes = extract(new Unclosed(tar), staging, expected, progress);
      // Read to its end: a stream decrypted as it is read proves only there that nothing was cut
      // off or altered (see RestoreStep#openPlaintext); a tar's end padding is all that is left.
      tar.transferTo(OutputStream.nullOutputStream());
      staged.install();
      return bytes;
    } catch (IOException e) {
      staged.discard();
      throw new VigilException(
          ErrorType.RESTORE_FAILED, "cannot restore into " + target + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      staged.discard();
      throw e;
    }
  }

  /**
   * Restores a chunked backup's {@code snapshot} into {@code target} as {@link #restore} does a
   * tar, without a tar in between: every entry goes through the same {@link SafeTarExtractor}
   * checks and the same staging directory, and each file is written straight from its verified
   * chunks ({@code chunks}, fetched and opened ahead on other threads) while its SHA-256 is
   * computed and compared with the manifest's. A damaged or missing chunk, a file whose bytes or
   * size differ from the manifest, or an entry the manifest does not list fails the restore, and
   * the target is as it was. Returns the bytes of file content written.
   */
  public long restoreSnapshot(
      Snapshot snapshot,
      ParallelChunkReader chunks,
      Path target,
      String tag,
      boolean force,
      Iterator<FileEntry> expected,
      LongConsumer progress) {
    StagedDirectory staged = new StagedDirectory(target, tag);
    try {
      staged.recover();
      checkTarget(target, force);
      Path staging = staged.create();
      long bytes = writeSnapshot(snapshot, chunks, staging, expected, progress);
      staged.install();
      return bytes;
    } catch (IOException | UncheckedIOException e) {
      staged.discard();
      throw new VigilException(
          ErrorType.RESTORE_FAILED, "cannot restore into " + target + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      staged.discard();
      throw e;
    }
  }

  private static long writeSnapshot(
      Snapshot snapshot,
      ParallelChunkReader chunks,
      Path staging,
      Iterator<FileEntry> expected,
      LongConsumer progress)
      throws IOException {
    SafeTarExtractor extractor = SafeTarExtractor.into(staging);
    ManifestCheck check = new ManifestCheck(expected);
    long bytes = 0;
    long reported = 0;
    try (EntriesAhead entries = new EntriesAhead(snapshot.files(), extractor, check::next);
        FileHashes hashes = new FileHashes()) {
      for (int i = 0; i < snapshot.files().size(); i++) {
        EntriesAhead.Made made = entries.next();
        if (made.file() == null) {
          continue;
        }
        bytes += writeFile(made, chunks, hashes);
        extractor.written(made.destination(), made.entry());
        if (bytes - reported >= 64L << 20) {
          progress.accept(bytes);
          reported = bytes;
        }
      }
      hashes.checkAll();
    }
    extractor.finish();
    if (expected.hasNext()) {
      throw new VigilException(
          ErrorType.VALIDATION_FAILED,
          "the backup lacks " + expected.next().path() + ", which the manifest lists");
    }
    progress.accept(bytes);
    return bytes;
  }

  /**
   * Writes a regular file {@link EntriesAhead} made from its chunks, closes it and checks its size
   * against the snapshot; its SHA-256 is computed by {@code hashes} and checked against the
   * manifest's in turn. Returns its size.
   */
  private static long writeFile(
      EntriesAhead.Made made, ParallelChunkReader chunks, FileHashes hashes) throws IOException {
    Snapshot.Node node = made.node();
    FileHashes.File hash = node.chunks().size() == 1 ? null : hashes.start();
    String whole = null;
    long written = 0;
    try (FileChannel out = made.file()) {
      for (String id : node.chunks()) {
        ParallelChunkReader.Opened chunk = chunks.next(id, node.path());
        if (written + chunk.length() > node.size()) {
          throw SnapshotTar.sizeMismatch(node);
        }
        ByteBuffer buffer = ByteBuffer.wrap(chunk.data(), chunk.offset(), chunk.length());
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        written += chunk.length();
        if (hash == null) {
          whole = chunk.fileSha256();
          chunk.done();
        } else {
          hash.add(chunk.data(), chunk.offset(), chunk.length(), chunk::done);
        }
      }
    }
    if (written != node.size()) {
      throw SnapshotTar.sizeMismatch(node);
    }
    FileHashes.Check check = sha256 -> ManifestCheck.matches(made.recorded(), made.name(), sha256);
    if (hash == null) {
      hashes.known(whole, check);
    } else {
      hash.end(check);
    }
    return written;
  }

  /**
   * Extracts {@code tar} into {@code target}, an existing directory this extraction owns. Each
   * entry must be the next one {@code expected} lists (path, type, size); every file's SHA-256 is
   * computed as it is written and must match, and every listed entry must be present. Returns the
   * bytes of file content written.
   */
  public long extract(
      InputStream tar, Path target, Iterator<FileEntry> expected, LongConsumer progress) {
    ManifestCheck check = new ManifestCheck(expected);
    long bytes;
    try {
      bytes = SafeTarExtractor.extract(tar, target, check, progress).bytes();
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
    return bytes;
  }

  /**
   * Compares the tree under {@code target} with the manifest: every entry present with its type,
   * size, SHA-256 (files) and link target (symlinks), and nothing more.
   */
  public ValidationResult validate(Path target, Iterator<FileEntry> expected, LongConsumer beat) {
    return validate(target, expected, beat, true);
  }

  /**
   * As {@link #validate(Path, Iterator, LongConsumer)}; with {@code rehash} false, files are
   * compared by type and size only, for a tree whose files' SHA-256 the restore already computed
   * from the bytes it wrote and matched with the manifest ({@link #restoreSnapshot}): the tree is
   * walked, not read again.
   */
  public ValidationResult validate(
      Path target, Iterator<FileEntry> expected, LongConsumer beat, boolean rehash) {
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
        String problem = compare(actual, recorded, rehash);
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
              + (rehash
                  ? " bytes, SHA-256 each), "
                  : " bytes, SHA-256 each computed as the restore wrote it), ")
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

  private static String compare(Path actual, FileEntry recorded, boolean rehash)
      throws IOException {
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
        if (!rehash) {
          return null;
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

  /** Leaves the archive open when the extractor is done with it: its end is read afterwards. */
  private static final class Unclosed extends FilterInputStream {
    Unclosed(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // The caller closes the stream.
    }
  }

  /** Each entry must be the manifest's next, each file's SHA-256 the one it records. */
  private static final class ManifestCheck implements SafeTarExtractor.Listener {
    private final Iterator<FileEntry> expected;
    private FileEntry recorded;

    ManifestCheck(Iterator<FileEntry> expected) {
      this.expected = expected;
    }

    @Override
    public void entry(TarArchiveEntry entry, String name) {
      recorded = next(entry, name);
    }

    /** The manifest's next entry, which must be {@code entry}. */
    FileEntry next(TarArchiveEntry entry, String name) {
      FileEntry next = expected.hasNext() ? expected.next() : null;
      checkAgainstManifest(entry, name, next);
      return next;
    }

    @Override
    public void written(String name, String sha256) {
      matches(recorded, name, sha256);
    }

    /** A file written as {@code name} with {@code sha256} must have the manifest's SHA-256. */
    static void matches(FileEntry recorded, String name, String sha256) {
      if (recorded.sha256() != null && !sha256.equals(recorded.sha256())) {
        throw new VigilException(
            ErrorType.VALIDATION_FAILED,
            "restored file '"
                + name
                + "' has SHA-256 "
                + sha256
                + " but the manifest records "
                + recorded.sha256());
      }
    }
  }
}
