package dev.vigil.activities.backup;

import dev.vigil.activities.common.FileTrees;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The worker host's spool: one directory per backup, holding the raw dump, its side files and the
 * sealed file until the upload is verified.
 */
public final class Spool {
  /** Raw PostgreSQL dump (custom format, uncompressed). */
  public static final String PG_DUMP = "dump.pgc";

  /** Per-table row counts taken in the dump's snapshot. */
  public static final String TABLES = "tables.json";

  /** The source cluster's roles (names, attributes, memberships; never passwords). */
  public static final String ROLES = "roles.json";

  /** A physical backup's LSNs, timeline and times ({@link PhysicalMeta}). */
  public static final String PHYSICAL = "physical.json";

  /** What the dump step learned (format, versions, warnings), for later steps. */
  public static final String DUMP_META = "dump.json";

  /** The sealed (compressed, encrypted) file, as stored. */
  public static final String SEALED = "data.vgl";

  /**
   * The CRC64NVME of every MiB of {@link #SEALED} and its SHA-256, taken while a streamed dump
   * wrote it ({@code WrittenChecksums}), so the upload step need not read it again for them.
   */
  public static final String SEALED_SUMS = "data.vgl.sums";

  /** The seal step's result, so a retried seal after success does not redo it. */
  public static final String SEAL_META = "sealed.json";

  /**
   * A streamed dump's check on the way ({@link StreamCheck}): what the verify step returns, as
   * there is no raw file to read again.
   */
  public static final String STREAM_CHECK = "verified.json";

  /**
   * The multipart upload a streamed dump sent its sealed parts to while it ran ({@link
   * EarlyUpload}); absent when it sent none.
   */
  public static final String EARLY_UPLOAD = "upload.json";

  /** The per-backup manifest stored beside the data. */
  public static final String MANIFEST = "manifest.json";

  private final Path root;

  public Spool(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  /** The directory of a backup (may not exist). */
  public Path dir(String backupId) {
    // "." and ".." match the characters but name the spool itself or its parent.
    if (!backupId.matches("[A-Za-z0-9._-]+") || backupId.matches("\\.+")) {
      throw new VigilException(ErrorType.INVALID_CONFIG, "bad backup id: " + backupId);
    }
    return root.resolve(backupId);
  }

  /** An empty directory for a backup: whatever an earlier attempt left is removed. */
  public Path fresh(String backupId) {
    Path dir = dir(backupId);
    try {
      delete(backupId);
      Files.createDirectories(dir);
      return dir;
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          root,
          "dump",
          new VigilException(
              ErrorType.SPOOL_MISSING,
              "cannot create spool directory " + dir + ": " + e.getMessage(),
              e));
    }
  }

  /** A file a step needs; SPOOL_MISSING if an earlier step's output is gone. */
  public Path existing(String backupId, String name) {
    Path file = dir(backupId).resolve(name);
    if (!Files.exists(file)) {
      throw new VigilException(
          ErrorType.SPOOL_MISSING,
          "spool file "
              + file
              + " is gone (worker host replaced or spool cleaned); run the backup again");
    }
    return file;
  }

  /** Removes a backup's directory; absent is fine. */
  public void delete(String backupId) throws IOException {
    FileTrees.delete(dir(backupId));
  }
}
