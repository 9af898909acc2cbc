package dev.vigil.activities.wal;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.crypto.SealOutcome;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.store.ObjectAttributes;
import dev.vigil.activities.store.ObjectBody;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.workflows.common.ErrorType;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A source's continuous WAL archive in its repository: what PostgreSQL's {@code archive_command}
 * and {@code restore_command} do through {@code vigil wal-push} and {@code vigil wal-fetch}. One
 * file per call, no workflow and no catalog: PostgreSQL itself retries a failed push and keeps the
 * file until it succeeds.
 *
 * <p>Each file is stored at {@code <prefix>/<source>/wal/<timeline>/<name>.vgl}, sealed like a
 * backup (zstd, then the streaming AEAD) with the source and the file name as associated data, so
 * an object copied under another name or source fails authentication. Its metadata holds the
 * plaintext SHA-256 and size: a second push of the same name compares against them (identical is
 * accepted, different is refused), and a fetch checks them after decrypting. Data moves through
 * fixed buffers and a sealed temporary file; memory stays flat whatever the segment size.
 */
public final class WalArchive {
  /** Object metadata: SHA-256 of the WAL file as PostgreSQL wrote it. */
  public static final String PLAIN_SHA256 = "vigil-plain-sha256";

  /** Object metadata: size in bytes of the WAL file as PostgreSQL wrote it. */
  public static final String PLAIN_SIZE = "vigil-plain-size";

  private static final int BUFFER = 1 << 20;

  private final ObjectStore store;
  private final Sealer sealer;
  private final String source;
  private final Path scratch;

  /**
   * @param store the source's repository
   * @param sealer seals with the configured key
   * @param source the source's name in vigil.yaml (part of every key and of the associated data)
   * @param scratch where a sealed file waits for its upload (deleted after)
   */
  public WalArchive(ObjectStore store, Sealer sealer, String source, Path scratch) {
    this.store = Objects.requireNonNull(store, "store");
    this.sealer = Objects.requireNonNull(sealer, "sealer");
    this.source = Objects.requireNonNull(source, "source");
    this.scratch = Objects.requireNonNull(scratch, "scratch");
  }

  /** The full key {@code name} is stored under. */
  public String key(WalFileName name) {
    return store.key(name.relativeKey(source));
  }

  /**
   * What one push did.
   *
   * @param sha256 SHA-256 of the bytes read from the file and stored (or found stored)
   * @param alreadyArchived the same bytes were archived before; nothing was uploaded
   */
  public record Pushed(
      WalFileName name,
      String key,
      long bytes,
      String sha256,
      long storedBytes,
      boolean alreadyArchived) {}

  /**
   * Archives {@code file} (PostgreSQL's {@code %p}) under its own name. Accepted without upload if
   * the same bytes are archived already; WAL_CONFLICT naming both checksums if other bytes are.
   */
  public Pushed push(Path file) throws IOException {
    WalFileName name = WalFileName.parse(String.valueOf(file.getFileName()));
    String key = key(name);
    Optional<StoredObject> existing = store.head(key);
    if (existing.isPresent()) {
      return compareWithArchived(file, name, existing.get());
    }
    Files.createDirectories(scratch);
    Path sealed = Files.createTempFile(scratch, "wal-" + name + "-", ".vgl");
    try {
      MessageDigest plain = Digests.sha256();
      SealOutcome outcome;
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), plain);
          OutputStream out = new BufferedOutputStream(Files.newOutputStream(sealed), BUFFER)) {
        outcome = sealer.seal(in, out, "zstd", context(name), bytes -> {});
      }
      String sha256 = HexFormat.of().formatHex(plain.digest());
      store.putFile(
          sealed,
          key,
          new ObjectAttributes(
              null,
              Map.of("vigil-source", source, "vigil-kind", "wal"),
              Map.of(
                  PLAIN_SHA256,
                  sha256,
                  PLAIN_SIZE,
                  Long.toString(outcome.rawBytes()),
                  "vigil-sha256",
                  outcome.sha256(),
                  "vigil-key-id",
                  sealer.keyId())));
      return new Pushed(name, key, outcome.rawBytes(), sha256, outcome.storedBytes(), false);
    } finally {
      Files.deleteIfExists(sealed);
    }
  }

  private Pushed compareWithArchived(Path file, WalFileName name, StoredObject archived)
      throws IOException {
    MessageDigest plain = Digests.sha256();
    long size;
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), plain)) {
      size = in.transferTo(OutputStream.nullOutputStream());
    }
    String sha256 = HexFormat.of().formatHex(plain.digest());
    String archivedSha256 = archived.metadata().get(PLAIN_SHA256);
    String archivedSize = archived.metadata().get(PLAIN_SIZE);
    if (sha256.equals(archivedSha256) && Long.toString(size).equals(archivedSize)) {
      return new Pushed(name, archived.key(), size, sha256, archived.size(), true);
    }
    throw new VigilException(
        ErrorType.WAL_CONFLICT,
        "WAL file "
            + name
            + " is already archived at '"
            + archived.key()
            + "' with different content (archived SHA-256 "
            + (archivedSha256 == null
                ? "unknown: no " + PLAIN_SHA256 + " metadata"
                : archivedSha256)
            + ", "
            + (archivedSize == null ? "?" : archivedSize)
            + " bytes; this file SHA-256 "
            + sha256
            + ", "
            + size
            + " bytes); refusing to overwrite it. Is a second cluster archiving as source '"
            + source
            + "'?");
  }

  /**
   * Restores {@code name} into {@code target} (PostgreSQL's {@code %p}) atomically: decrypted and
   * checked into a temporary file next to it, synced, then renamed. Returns false, writing nothing,
   * if the archive does not hold {@code name}. OBJECT_CORRUPT if the stored object fails
   * authentication or its checksum.
   */
  public boolean fetch(WalFileName name, Path target) throws IOException {
    String key = key(name);
    Optional<StoredObject> head = store.head(key);
    if (head.isEmpty()) {
      return false;
    }
    String expectedSha256 = head.get().metadata().get(PLAIN_SHA256);
    String expectedSize = head.get().metadata().get(PLAIN_SIZE);
    if (expectedSha256 == null || expectedSize == null) {
      throw corrupt(name, key, "it has no " + PLAIN_SHA256 + "/" + PLAIN_SIZE + " metadata");
    }
    Path directory = target.toAbsolutePath().getParent();
    Path temporary = Files.createTempFile(directory, "." + name + ".", ".vigil-tmp");
    boolean moved = false;
    try {
      MessageDigest plain = Digests.sha256();
      long size;
      ObjectBody body = store.read(key, 0);
      try (CountingInputStream in = new CountingInputStream(body.stream());
          FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE);
          OutputStream out =
              new DigestOutputStream(
                  new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER), plain)) {
        size = unseal(name, key, in, out, body.objectSize());
        out.flush();
        channel.force(true);
      }
      String sha256 = HexFormat.of().formatHex(plain.digest());
      if (!sha256.equals(expectedSha256) || !Long.toString(size).equals(expectedSize)) {
        throw corrupt(
            name,
            key,
            "it decrypted to SHA-256 "
                + sha256
                + " ("
                + size
                + " bytes) but was archived as "
                + expectedSha256
                + " ("
                + expectedSize
                + " bytes)");
      }
      Files.move(
          temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      moved = true;
      syncDirectory(directory);
      return true;
    } finally {
      if (!moved) {
        Files.deleteIfExists(temporary);
      }
    }
  }

  /**
   * Decrypts; a body that fails authentication is corrupt only if all the bytes the store announced
   * arrive. A download that broke off (fewer bytes than the response announced) is an outage a
   * retry can fix, not a reason to stop recovery.
   */
  private long unseal(
      WalFileName name, String key, CountingInputStream in, OutputStream out, long announced)
      throws IOException {
    try {
      // The sealer closes what it reads; the body must stay open to be read to its end below.
      return sealer.unseal(
          new FilterInputStream(in) {
            @Override
            public void close() {}
          },
          out,
          context(name),
          "archived WAL file " + name + " at '" + key + "'");
    } catch (VigilException e) {
      if (e.type() != ErrorType.DUMP_INVALID) {
        throw e;
      }
      // Authentication fails at the first bad 1 MiB segment; whether the body was whole shows
      // only once the rest of it has been read.
      try {
        in.transferTo(OutputStream.nullOutputStream());
      } catch (IOException brokeOff) {
        // counted below: fewer bytes than announced
      }
      if (announced >= 0 && in.count() < announced) {
        throw new VigilException(
            ErrorType.REPOSITORY_UNAVAILABLE,
            "the download of archived WAL file "
                + name
                + " at '"
                + key
                + "' broke off after "
                + in.count()
                + " of "
                + announced
                + " bytes; it may work on a retry",
            e);
      }
      throw corrupt(
          name,
          key,
          "it failed authentication (altered, truncated, or copied from another name or source)");
    }
  }

  private VigilException corrupt(WalFileName name, String key, String why) {
    return new VigilException(
        ErrorType.OBJECT_CORRUPT,
        "archived WAL file "
            + name
            + " at '"
            + key
            + "' in bucket '"
            + store.bucket()
            + "': "
            + why);
  }

  /** The associated data: a sealed file opens only as this source's file of this name. */
  private String context(WalFileName name) {
    return "wal:" + source + ":" + name.name();
  }

  /** Counts the bytes read through it; a read that fails counts what arrived before. */
  private static final class CountingInputStream extends FilterInputStream {
    private long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int off, int len) throws IOException {
      int read = super.read(buffer, off, len);
      if (read > 0) {
        count += read;
      }
      return read;
    }

    long count() {
      return count;
    }
  }

  /** Makes the rename durable: fsync of the directory that holds the new entry. */
  private static void syncDirectory(Path directory) throws IOException {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
