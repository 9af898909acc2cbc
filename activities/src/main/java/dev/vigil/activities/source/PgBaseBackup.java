package dev.vigil.activities.source;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.SqlErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.PostgresSourceConfig;
import dev.vigil.workflows.common.ErrorType;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A physical backup: {@code pg_basebackup -Ft -X stream --manifest-checksums=CRC32C} of the whole
 * cluster, packed into one tar ({@link #ARCHIVE}) so the seal and upload steps stay the same as for
 * every other backup. The start/stop LSN and timeline come from the {@code backup_manifest}
 * pg_basebackup writes (its {@code WAL-Ranges}): written by the tool itself after the backup ended,
 * and checksummed, unlike text scraped from its output.
 *
 * <p>PostgreSQL 15's {@code pg_verifybackup} cannot read tar-format backups, so {@link #verify}
 * checks what it can without a server: the manifest's own SHA-256, every file the manifest lists is
 * in {@code base.tar} with its size and CRC-32C (and nothing else is), and {@code pg_wal.tar} holds
 * WAL segments. It does not parse the WAL records; the restore's startup replays them.
 */
public final class PgBaseBackup {
  /** The backup's format in the catalog and manifest. */
  public static final String FORMAT = "pg_basebackup-tar";

  /** The one file in the spool that holds the whole physical backup. */
  public static final String ARCHIVE = "basebackup.tar";

  /** The manifest pg_basebackup writes, first inside {@link #ARCHIVE}. */
  public static final String MANIFEST = "backup_manifest";

  /** The data directory's tar inside {@link #ARCHIVE}. */
  public static final String BASE_TAR = "base.tar";

  /** The WAL streamed during the backup, inside {@link #ARCHIVE}. */
  public static final String WAL_TAR = "pg_wal.tar";

  private static final Logger LOG = LoggerFactory.getLogger(PgBaseBackup.class);
  private static final String WORK_DIR = "pg_basebackup";
  private static final int BUFFER = 1 << 20;
  // Long steps heartbeat at least this often (in bytes): the activity's heartbeat timeout is 30 s.
  private static final long PROGRESS_EVERY = 64L << 20;
  // A manifest lists every file of the cluster (~150 bytes each): far below this for any cluster.
  private static final long MAX_MANIFEST_BYTES = 512L << 20;
  private static final String WAL_SEGMENT = "[0-9A-F]{24}";

  private final PgTools tools;
  private final PostgresDumper dumper;

  PgBaseBackup(PgTools tools, PostgresDumper dumper) {
    this.tools = tools;
    this.dumper = dumper;
  }

  PhysicalDump run(PostgresDumper.Target target, Path spoolDir, LongConsumer bytesWritten) {
    PostgresSourceConfig source = target.source();
    Path work = spoolDir.resolve(WORK_DIR);
    Path archive = spoolDir.resolve(ARCHIVE);
    try {
      // pg_basebackup wants an empty or new directory; a retried dump starts afresh.
      FileTrees.delete(work);
      Files.deleteIfExists(archive);
    } catch (IOException e) {
      throw spoolFailure(e, target, spoolDir);
    }
    String version = version(target);
    List<String> command =
        List.of(
            tools.pgBasebackup(),
            "-D",
            work.toString(),
            "-Ft",
            "-X",
            "stream",
            "--checkpoint=" + (source.fastCheckpoint() ? "fast" : "spread"),
            "--manifest-checksums=CRC32C",
            "--no-password",
            "-h",
            source.host(),
            "-p",
            Integer.toString(source.port()),
            "-U",
            source.user());
    LOG.info("source '{}': {}", source.name(), String.join(" ", command));
    Instant startedAt = Instant.now();
    PgTools.ProcessOutcome outcome =
        dumper.runTool(
            target,
            "pg_basebackup",
            command,
            dumper.environment(target),
            null,
            () -> bytesWritten.accept(treeSize(work)));
    Instant stoppedAt = Instant.now();
    if (outcome.exitCode() != 0) {
      throw failure(target, outcome, spoolDir);
    }
    try {
      requireOnlyDefaultTablespace(target, work);
      WalRange range = walRange(work.resolve(MANIFEST));
      pack(work, archive, bytesWritten);
      FileTrees.delete(work);
      long bytes = Files.size(archive);
      bytesWritten.accept(bytes);
      LOG.info(
          "source '{}': base backup of {} bytes, LSN {} to {} on timeline {}",
          source.name(),
          bytes,
          range.start(),
          range.stop(),
          range.timeline());
      return new PhysicalDump(
          archive,
          bytes,
          range.start(),
          range.stop(),
          range.timeline(),
          startedAt,
          stoppedAt,
          version);
    } catch (IOException e) {
      throw spoolFailure(e, target, spoolDir);
    }
  }

  /**
   * Checks a packed backup without a server (see the class comment); returns the number of data
   * files whose size and CRC-32C matched the manifest.
   *
   * @throws VigilException DUMP_INVALID naming the first thing that does not match
   */
  public static long verify(Path archive, LongConsumer progress) {
    try (TarArchiveInputStream outer =
        new TarArchiveInputStream(Files.newInputStream(archive), BUFFER)) {
      TarArchiveEntry entry = outer.getNextEntry();
      if (entry == null || !MANIFEST.equals(entry.getName())) {
        throw invalid(archive, "does not start with " + MANIFEST);
      }
      if (entry.getSize() > MAX_MANIFEST_BYTES) {
        throw invalid(archive, MANIFEST + " is " + entry.getSize() + " bytes; too large");
      }
      Map<String, ManifestFile> files = manifestFiles(archive, outer.readAllBytes());
      long checked = -1;
      long segments = -1;
      while ((entry = outer.getNextEntry()) != null) {
        if (BASE_TAR.equals(entry.getName())) {
          checked = checkBase(archive, new Unclosable(outer), files, progress);
        } else if (WAL_TAR.equals(entry.getName())) {
          segments = countSegments(new Unclosable(outer));
        } else {
          throw invalid(archive, "holds an unexpected entry " + entry.getName());
        }
      }
      if (checked < 0 || segments < 0) {
        throw invalid(archive, "lacks " + (checked < 0 ? BASE_TAR : WAL_TAR));
      }
      if (segments == 0) {
        throw invalid(archive, WAL_TAR + " holds no WAL segment; the backup cannot be started");
      }
      return checked;
    } catch (IOException e) {
      throw invalid(archive, "is unreadable: " + e.getMessage());
    }
  }

  /**
   * Writes {@code base.tar} into {@code dataDir} and {@code pg_wal.tar} into its {@code pg_wal}
   * through {@code extractor}, which is given each inner tar as a stream it may close.
   */
  public static void unpack(Path archive, Path dataDir, Extractor extractor) throws IOException {
    try (TarArchiveInputStream outer =
        new TarArchiveInputStream(Files.newInputStream(archive), BUFFER)) {
      TarArchiveEntry entry;
      boolean base = false;
      while ((entry = outer.getNextEntry()) != null) {
        if (BASE_TAR.equals(entry.getName())) {
          extractor.extract(new Unclosable(outer), dataDir);
          base = true;
        } else if (WAL_TAR.equals(entry.getName())) {
          if (!base) {
            throw invalid(archive, "holds " + WAL_TAR + " before " + BASE_TAR);
          }
          Path wal = Files.createDirectories(dataDir.resolve("pg_wal"));
          extractor.extract(new Unclosable(outer), wal);
        }
      }
      if (!base) {
        throw invalid(archive, "lacks " + BASE_TAR);
      }
    }
  }

  /** Extracts one tar stream into a directory. */
  @FunctionalInterface
  public interface Extractor {
    void extract(InputStream tar, Path into) throws IOException;
  }

  private String version(PostgresDumper.Target target) {
    List<String> lines = new ArrayList<>();
    PgTools.ProcessOutcome outcome =
        dumper.runTool(
            target,
            "pg_basebackup",
            List.of(tools.pgBasebackup(), "--version"),
            Map.of(),
            lines::add,
            () -> {});
    if (outcome.exitCode() != 0 || lines.isEmpty()) {
      throw new VigilException(
          ErrorType.DUMP_FAILED,
          target.prefix()
              + "pg_basebackup --version failed ("
              + outcome.lastStderrLine()
              + "); install PostgreSQL's client tools on the worker host");
    }
    return lines.get(0).strip();
  }

  private static VigilException failure(
      PostgresDumper.Target target, PgTools.ProcessOutcome outcome, Path spoolDir) {
    PostgresSourceConfig source = target.source();
    String stderr = target.redact(outcome.stderrTail());
    String why = target.redact(SqlErrors.condense(outcome.stderrTail()));
    String as = " at " + target.address() + " as user '" + source.user() + "'";
    if (PostgresDumper.diskFull(stderr)) {
      return PostgresDumper.spoolFull(target, spoolDir, "pg_basebackup writes", why);
    }
    if (stderr.contains("superuser or replication role")
        || stderr.contains("permission denied to start WAL sender")) {
      return new VigilException(
          ErrorType.DATABASE_PERMISSION_DENIED,
          target.prefix()
              + "pg_basebackup"
              + as
              + " needs the REPLICATION privilege ("
              + why
              + "); run ALTER ROLE "
              + source.user()
              + " REPLICATION, or use a superuser");
    }
    if (stderr.contains("no pg_hba.conf entry for replication connection")) {
      return new VigilException(
          ErrorType.AUTHENTICATION_FAILED,
          target.prefix()
              + "pg_basebackup"
              + as
              + " was refused ("
              + why
              + "); add a 'host replication "
              + source.user()
              + " <worker address> scram-sha-256' line to pg_hba.conf");
    }
    if (PostgresDumper.passwordRefused(stderr)) {
      return PostgresDumper.refused(target, "pg_basebackup", why);
    }
    if (stderr.contains("Connection refused") || stderr.contains("could not translate host")) {
      return new VigilException(
          ErrorType.SOURCE_UNREACHABLE,
          target.prefix()
              + "cannot connect to PostgreSQL at "
              + target.address()
              + " ("
              + why
              + "); check sources."
              + source.name()
              + ".host/port and that the server is running");
    }
    return new VigilException(
        ErrorType.DUMP_FAILED,
        target.prefix()
            + "pg_basebackup"
            + as
            + " failed (exit "
            + outcome.exitCode()
            + "): "
            + why);
  }

  private static void requireOnlyDefaultTablespace(PostgresDumper.Target target, Path work)
      throws IOException {
    Set<String> expected = Set.of(BASE_TAR, WAL_TAR, MANIFEST);
    Set<String> found = new TreeSet<>();
    try (Stream<Path> files = Files.list(work)) {
      files.forEach(file -> found.add(file.getFileName().toString()));
    }
    if (!found.equals(expected)) {
      Set<String> extra = new TreeSet<>(found);
      extra.removeAll(expected);
      throw new VigilException(
          ErrorType.DUMP_FAILED,
          target.prefix()
              + "pg_basebackup wrote "
              + found
              + (extra.isEmpty()
                  ? ""
                  : "; tablespaces outside the data directory (" + extra + ") are not supported")
              + "; physical backups need exactly "
              + expected);
    }
  }

  /** Packs the three files, manifest first, so a reader knows every file before checking any. */
  private static void pack(Path work, Path archive, LongConsumer progress) throws IOException {
    Path partial = archive.resolveSibling(archive.getFileName() + ".partial");
    try (OutputStream out = Files.newOutputStream(partial);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, BUFFER)) {
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      byte[] buffer = new byte[BUFFER];
      long copied = 0;
      for (String name : List.of(MANIFEST, BASE_TAR, WAL_TAR)) {
        Path file = work.resolve(name);
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(Files.size(file));
        entry.setModTime(Files.getLastModifiedTime(file));
        entry.setMode(0600);
        tar.putArchiveEntry(entry);
        try (InputStream in = Files.newInputStream(file)) {
          copied = copy(in, tar, buffer, copied, progress);
        }
        tar.closeArchiveEntry();
      }
      tar.finish();
    }
    Files.move(partial, archive);
  }

  /** Copies {@code in} to {@code out}; {@code progress} gets the running total every 64 MiB. */
  private static long copy(
      InputStream in, OutputStream out, byte[] buffer, long total, LongConsumer progress)
      throws IOException {
    int read;
    while ((read = in.read(buffer)) >= 0) {
      out.write(buffer, 0, read);
      long before = total;
      total += read;
      if (before / PROGRESS_EVERY != total / PROGRESS_EVERY) {
        progress.accept(total);
      }
    }
    return total;
  }

  private record WalRange(String start, String stop, int timeline) {}

  /** The first range's start and the last range's end and timeline from {@code WAL-Ranges}. */
  private static WalRange walRange(Path manifest) throws IOException {
    String start = null;
    String stop = null;
    int timeline = 0;
    try (JsonParser parser = Json.MAPPER.createParser(manifest.toFile())) {
      while (parser.nextToken() != null) {
        if (parser.currentToken() == JsonToken.FIELD_NAME
            && "WAL-Ranges".equals(parser.currentName())) {
          parser.nextToken();
          while (parser.nextToken() == JsonToken.START_OBJECT) {
            JsonNode range = Json.MAPPER.readTree(parser);
            if (start == null) {
              start = range.path("Start-LSN").asText();
            }
            stop = range.path("End-LSN").asText();
            timeline = range.path("Timeline").asInt();
          }
        }
      }
    }
    if (start == null || stop == null || timeline <= 0) {
      throw new IOException(manifest + " has no WAL-Ranges");
    }
    return new WalRange(start, stop, timeline);
  }

  private record ManifestFile(long size, String checksum) {}

  private static Map<String, ManifestFile> manifestFiles(Path archive, byte[] manifest) {
    String text = new String(manifest, StandardCharsets.UTF_8);
    // The manifest's SHA-256 covers every byte before its own "Manifest-Checksum" line.
    int checksumLine = text.lastIndexOf("\"Manifest-Checksum\"");
    if (checksumLine < 0) {
      throw invalid(archive, MANIFEST + " has no Manifest-Checksum");
    }
    Map<String, ManifestFile> files = new HashMap<>();
    try (JsonParser parser = Json.MAPPER.createParser(new ByteArrayInputStream(manifest))) {
      JsonNode root = Json.MAPPER.readTree(parser);
      byte[] covered = text.substring(0, checksumLine).getBytes(StandardCharsets.UTF_8);
      String actual =
          HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(covered));
      if (!actual.equals(root.path("Manifest-Checksum").asText())) {
        throw invalid(
            archive, MANIFEST + " does not match its own SHA-256 (changed after written)");
      }
      for (JsonNode file : root.path("Files")) {
        if (!"CRC32C".equals(file.path("Checksum-Algorithm").asText())) {
          throw invalid(archive, MANIFEST + " lists " + file.path("Path") + " without a CRC32C");
        }
        files.put(
            file.path("Path").asText(),
            new ManifestFile(file.path("Size").asLong(), file.path("Checksum").asText()));
      }
    } catch (IOException e) {
      throw invalid(archive, MANIFEST + " is not valid JSON: " + e.getMessage());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
    return files;
  }

  private static long checkBase(
      Path archive, InputStream base, Map<String, ManifestFile> files, LongConsumer progress)
      throws IOException {
    long total = 0;
    Set<String> seen = new HashSet<>();
    byte[] buffer = new byte[BUFFER];
    try (TarArchiveInputStream tar = new TarArchiveInputStream(base, BUFFER)) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        if (!entry.isFile()) {
          continue;
        }
        String name = entry.getName();
        ManifestFile expected = files.get(name);
        if (expected == null) {
          throw invalid(archive, BASE_TAR + " holds " + name + ", which " + MANIFEST + " lacks");
        }
        CRC32C crc = new CRC32C();
        long size = 0;
        int read;
        while ((read = tar.read(buffer)) >= 0) {
          crc.update(buffer, 0, read);
          size += read;
          long before = total;
          total += read;
          if (before / PROGRESS_EVERY != total / PROGRESS_EVERY) {
            progress.accept(total);
          }
        }
        // PostgreSQL writes the CRC's four bytes in memory (little-endian) order.
        String checksum =
            String.format("%08x", Integer.reverseBytes((int) crc.getValue()) & 0xffffffffL);
        if (size != expected.size() || !checksum.equals(expected.checksum())) {
          throw invalid(
              archive,
              BASE_TAR
                  + " file "
                  + name
                  + " has "
                  + size
                  + " bytes, CRC32C "
                  + checksum
                  + "; "
                  + MANIFEST
                  + " says "
                  + expected.size()
                  + " bytes, "
                  + expected.checksum());
        }
        seen.add(name);
      }
    }
    for (String name : files.keySet()) {
      if (!seen.contains(name)) {
        throw invalid(archive, BASE_TAR + " lacks " + name + ", which " + MANIFEST + " lists");
      }
    }
    return seen.size();
  }

  private static long countSegments(InputStream wal) throws IOException {
    long segments = 0;
    try (TarArchiveInputStream tar = new TarArchiveInputStream(wal, BUFFER)) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        String name = Path.of(entry.getName()).getFileName().toString();
        if (entry.isFile() && name.matches(WAL_SEGMENT) && entry.getSize() > 0) {
          segments++;
        }
      }
    }
    return segments;
  }

  private static long treeSize(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(PostgresDumper::sizeOrZero).sum();
    } catch (IOException | UncheckedIOException notYetCreated) {
      return 0;
    }
  }

  private static VigilException invalid(Path archive, String why) {
    return new VigilException(ErrorType.DUMP_INVALID, "base backup " + archive + " " + why);
  }

  private static VigilException spoolFailure(
      IOException error, PostgresDumper.Target target, Path spoolDir) {
    return SpoolErrors.translate(
        error,
        spoolDir,
        "source '" + target.source().name() + "'",
        new VigilException(
            ErrorType.DUMP_FAILED,
            target.prefix() + "cannot write the base backup to spool " + spoolDir + ": " + error,
            error));
  }

  /** An inner tar read from the outer one: closing it must not close the outer stream. */
  private static final class Unclosable extends FilterInputStream {
    Unclosable(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // The outer archive stays open for its next entry.
    }
  }
}
