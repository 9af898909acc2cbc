package dev.vigil.activities.wal;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The asynchronous push's spool: {@code <spool>/<source>/<name>.ok} says "the archive of this
 * source holds exactly these bytes under this name", written by a push that stored a file
 * PostgreSQL had marked ready but not yet asked for. When PostgreSQL asks for it, the marker is
 * consumed instead of pushing again (by the launcher without starting Java, or here).
 *
 * <p>A marker holds one line, {@code <sha256 hex> <size>\n}, of the bytes that were stored. It is
 * trusted only if the file PostgreSQL now hands over has that size and SHA-256: a marker left by a
 * push of other bytes under the name (another cluster archiving as the same source into the same
 * spool, a segment rewritten after a restore) does not match and is removed, and the file is pushed
 * for real, where the archive's own check refuses a conflict. Markers are written to a temporary
 * file, fsynced, renamed and the directory fsynced, so a crash leaves a whole marker or none.
 */
public final class WalSpool {
  /** The suffix of a marker file. */
  public static final String MARKER_SUFFIX = ".ok";

  private static final Pattern MARKER_LINE = Pattern.compile("([0-9a-f]{64}) ([0-9]{1,19})\n?");
  private static final String READY_SUFFIX = ".ready";
  private static final String PUSHER = ".pusher.pid";
  private static final Pattern SOURCE_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  private final Path directory;

  private WalSpool(Path directory) {
    this.directory = directory;
  }

  /**
   * The spool of {@code source} under {@code spool}, created if missing; INVALID_CONFIG if it lies
   * inside the data directory that holds {@code walDirectory} (PostgreSQL's own files, which Vigil
   * never writes into) or {@code source} is not a source name.
   */
  public static WalSpool open(Path spool, String source, Path walDirectory) throws IOException {
    if (!SOURCE_NAME.matcher(Objects.requireNonNull(source, "source")).matches()) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "'"
              + source.replaceAll("\\p{Cntrl}", "?")
              + "' is not a source name (a-z, 0-9, _ and -)");
    }
    Path wal = walDirectory.toAbsolutePath().normalize();
    Path dataDirectory = wal.getParent() == null ? wal : wal.getParent();
    Path root = spool.toAbsolutePath().normalize();
    if (inside(root, dataDirectory) || inside(root, real(wal)) || inside(real(root), real(wal))) {
      throw new VigilException(
          ErrorType.INVALID_CONFIG,
          "the WAL spool "
              + spool
              + " lies inside PostgreSQL's data directory "
              + dataDirectory
              + "; give a directory of its own (e.g. /var/lib/vigil/wal-spool)");
    }
    Path directory = Files.createDirectories(root.resolve(source));
    return new WalSpool(directory);
  }

  private static boolean inside(Path candidate, Path directory) {
    return candidate.startsWith(directory);
  }

  private static Path real(Path path) {
    try {
      return path.toRealPath();
    } catch (IOException missing) {
      return path;
    }
  }

  /** Where the marker of {@code name} lives. */
  public Path marker(WalFileName name) {
    return directory.resolve(name.name() + MARKER_SUFFIX);
  }

  /** Whether a marker (trusted or not) exists for {@code name}. */
  public boolean hasMarker(WalFileName name) {
    return Files.exists(marker(name));
  }

  /**
   * Whether a marker says that exactly {@code file}'s bytes are archived under its name. The marker
   * is removed either way: consumed if it matched, dropped if it did not (the caller then pushes
   * the file for real). False, touching nothing, if there is no marker.
   */
  public boolean consumeIfStored(Path file) throws IOException {
    WalFileName name = WalFileName.parse(String.valueOf(file.getFileName()));
    Path marker = marker(name);
    String content;
    try {
      content = Files.readString(marker, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException absent) {
      return false;
    }
    boolean matches = matches(content, file);
    Files.deleteIfExists(marker);
    return matches;
  }

  private static boolean matches(String content, Path file) throws IOException {
    Matcher line = MARKER_LINE.matcher(content);
    if (!line.matches() || Long.parseLong(line.group(2)) != Files.size(file)) {
      return false;
    }
    return line.group(1).equals(sha256(file));
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest = Digests.sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /**
   * Records that {@code pushed}'s bytes are archived: temporary file, fsync, atomic rename, fsync
   * of the directory. Call only after the push succeeded.
   */
  public void markStored(WalArchive.Pushed pushed) throws IOException {
    Path marker = marker(pushed.name());
    Path temporary = Files.createTempFile(directory, "." + pushed.name() + ".", ".tmp");
    boolean moved = false;
    try {
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
        ByteBuffer line =
            ByteBuffer.wrap(
                (pushed.sha256() + " " + pushed.bytes() + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
        while (line.hasRemaining()) {
          channel.write(line);
        }
        channel.force(true);
      }
      // Readable by whoever runs the launcher's fast path (the same user, normally).
      Files.move(
          temporary, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      moved = true;
      try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
        channel.force(true);
      }
    } finally {
      if (!moved) {
        Files.deleteIfExists(temporary);
      }
    }
  }

  /**
   * Announces this process as the spool's running pusher ({@code .pusher.pid}, which the launcher
   * reads to wait for a marker instead of starting a second JVM for a file already being pushed).
   */
  public void claimPusher() throws IOException {
    Path temporary = Files.createTempFile(directory, ".pusher.", ".tmp");
    Files.writeString(temporary, ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
    Files.move(
        temporary,
        directory.resolve(PUSHER),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  /** Withdraws {@link #claimPusher()}, unless another process has claimed the spool since. */
  public void releasePusher() throws IOException {
    Path pid = directory.resolve(PUSHER);
    try {
      if (Files.readString(pid, StandardCharsets.US_ASCII)
          .strip()
          .equals(Long.toString(ProcessHandle.current().pid()))) {
        Files.deleteIfExists(pid);
      }
    } catch (NoSuchFileException gone) {
      // nothing to withdraw
    }
  }

  /**
   * The files PostgreSQL has marked ready to archive ({@code archive_status/<name>.ready} next to
   * the WAL files of {@code walDirectory}), in name order (WAL order within a timeline); names that
   * are not WAL file names are skipped.
   */
  public static List<WalFileName> ready(Path walDirectory) throws IOException {
    List<WalFileName> ready = new ArrayList<>();
    Path status = walDirectory.resolve("archive_status");
    if (!Files.isDirectory(status)) {
      return ready;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(status, "*" + READY_SUFFIX)) {
      for (Path entry : entries) {
        String file = entry.getFileName().toString();
        String name = file.substring(0, file.length() - READY_SUFFIX.length());
        try {
          ready.add(WalFileName.parse(name));
        } catch (VigilException notWal) {
          // not ours to push
        }
      }
    }
    ready.sort((a, b) -> a.name().compareTo(b.name()));
    return ready;
  }

  /**
   * Removes markers nobody will ask for under this spool again: their file is no longer in {@code
   * walDirectory} (recycled) or PostgreSQL has marked it done (archived by another command, e.g.
   * after {@code archive_command} changed); and temporary files a crash left behind.
   */
  public void removeOrphans(Path walDirectory) throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
      for (Path entry : entries) {
        String file = entry.getFileName().toString();
        if (file.startsWith(".") && file.endsWith(".tmp")) {
          Files.deleteIfExists(entry);
        } else if (file.endsWith(MARKER_SUFFIX)) {
          String name = file.substring(0, file.length() - MARKER_SUFFIX.length());
          if (!Files.exists(walDirectory.resolve(name))
              || Files.exists(walDirectory.resolve("archive_status").resolve(name + ".done"))) {
            Files.deleteIfExists(entry);
          }
        }
      }
    }
  }
}
