package dev.vigil.activities.check;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vigil.activities.backup.ManifestMac;
import dev.vigil.activities.backup.ManifestWriter;
import dev.vigil.activities.backup.SpoolActivitiesImpl;
import dev.vigil.activities.cas.ChunkCatalog;
import dev.vigil.activities.cas.ChunkCrypto;
import dev.vigil.activities.cas.ChunkRef;
import dev.vigil.activities.cas.Snapshot;
import dev.vigil.activities.cas.SnapshotCodec;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.Sizes;
import dev.vigil.activities.crypto.Keyring;
import dev.vigil.activities.crypto.Sealer;
import dev.vigil.activities.restore.BackupManifest;
import dev.vigil.activities.store.ColdRestoreState;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.Mac;

/**
 * Reads stored objects back the way a restore would, without writing anything to disk: the data
 * object streams through SHA-256 and the same unseal (decrypt and authenticate) a restore runs into
 * a sink that discards the plaintext; manifests stream through their HMAC and a JSON reader. Memory
 * stays flat (the sealer's fixed buffers), whatever the object's size.
 */
final class DataVerifier {
  /** Storage classes whose objects must be restored before they can be read. */
  private static final Set<String> ARCHIVE_CLASSES = Set.of("GLACIER", "DEEP_ARCHIVE");

  private final Sealer sealer;
  private final ManifestWriter manifests;
  private final Keyring keys;

  DataVerifier(Sealer sealer, ManifestWriter manifests, Keyring keys) {
    this.sealer = sealer;
    this.manifests = manifests;
    this.keys = keys;
  }

  /**
   * What reading one backup back found.
   *
   * @param note the line that says what was read and that it is sound, or why it was not read
   * @param bytesRead stored bytes read (data and manifest)
   * @param read false when the data object was not read (in an archive class)
   */
  record Verdict(List<CheckProblem> problems, String note, long bytesRead, boolean read) {}

  /**
   * Reads the data object and the manifest of an ARCHIVED backup, and for a chunked backup (one
   * with {@code packs}) every chunk its snapshot names: decrypted, authenticated and hashed to its
   * id.
   */
  Verdict backup(
      ObjectStore store,
      CheckCatalog.Backup backup,
      boolean dataPresent,
      List<ChunkCatalog.Pack> packs) {
    String where = backup.source() + ": backup " + backup.backupId() + ": ";
    List<CheckProblem> problems = new ArrayList<>();
    long bytes = 0;
    String dataNote;
    boolean read = false;
    if (!dataPresent) {
      dataNote = "data not read (missing)";
    } else if (cold(store, backup)) {
      dataNote =
          "data not read: "
              + backup.objectKey()
              + " is in "
              + backup.storageClass()
              + " (rehydrate the backup to read it)";
    } else {
      read = true;
      DataRead data = readData(store, backup, where);
      bytes += data.bytes();
      data.problem().ifPresent(problems::add);
      dataNote =
          data.problem().isEmpty()
              ? "data read ("
                  + Sizes.format(data.bytes())
                  + "): SHA-256 matches the catalog, decrypts and authenticates"
              : "data read (" + Sizes.format(data.bytes()) + ")";
      if (data.problem().isEmpty() && !packs.isEmpty()) {
        ChunksRead chunks = readChunks(store, backup, where);
        bytes += chunks.bytes();
        problems.addAll(chunks.problems());
        dataNote +=
            chunks.problems().isEmpty()
                ? "; "
                    + chunks.chunks()
                    + " chunks in "
                    + chunks.packs()
                    + " packs ("
                    + Sizes.format(chunks.bytes())
                    + ") decrypt and match their ids"
                : "";
      }
    }
    String manifestNote = "";
    if (backup.manifestKey() != null) {
      ManifestRead manifest = readManifest(store, backup, where);
      bytes += manifest.bytes();
      manifest.problem().ifPresent(problems::add);
      manifestNote =
          manifest.present() && manifest.problem().isEmpty()
              ? "; manifest HMAC and contents match"
              : "";
    }
    return new Verdict(List.copyOf(problems), where + dataNote + manifestNote, bytes, read);
  }

  /** Reads a backup set's manifest: its HMAC, and that it names its set. */
  Optional<CheckProblem> set(ObjectStore store, String setId, String key) {
    String where = "backup set " + setId + ": manifest " + key;
    Optional<StoredObject> head = store.head(key);
    if (head.isEmpty()) {
      return Optional.empty();
    }
    Mac mac;
    try {
      mac = manifests.newMac(head.get().metadata().get(ManifestMac.KEY_ID_METADATA), where);
    } catch (VigilException e) {
      return Optional.of(problem(CheckProblem.UNREADABLE, "-", setId, key, e.getMessage()));
    }
    JsonNode manifest = null;
    String unreadable = null;
    try (InputStream raw = store.open(key);
        Tee in = new Tee(raw, mac::update)) {
      try {
        manifest = Json.MAPPER.readTree(new NonClosing(in));
      } catch (IOException e) {
        unreadable = e.getMessage();
      }
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException | VigilException e) {
      return Optional.of(
          problem(
              CheckProblem.UNREADABLE,
              "-",
              setId,
              key,
              where + " could not be read: " + e.getMessage()));
    }
    String macProblem = checkMac(head.get(), mac);
    if (macProblem != null) {
      return Optional.of(problem(CheckProblem.DAMAGED, "-", setId, key, where + macProblem));
    }
    if (unreadable != null || manifest == null || !setId.equals(manifest.path("setId").asText())) {
      return Optional.of(
          problem(
              CheckProblem.DAMAGED,
              "-",
              setId,
              key,
              where
                  + " does not describe set "
                  + setId
                  + (unreadable != null ? " (not JSON: " + unreadable + ")" : "")));
    }
    return Optional.empty();
  }

  private boolean cold(ObjectStore store, CheckCatalog.Backup backup) {
    if (backup.storageClass() == null || !ARCHIVE_CLASSES.contains(backup.storageClass())) {
      return false;
    }
    ColdRestoreState state = store.restoreState(backup.objectKey());
    return state == ColdRestoreState.ARCHIVED || state == ColdRestoreState.IN_PROGRESS;
  }

  private record DataRead(long bytes, Optional<CheckProblem> problem) {}

  private DataRead readData(ObjectStore store, CheckCatalog.Backup backup, String where) {
    String key = backup.objectKey();
    MessageDigest sha256 = Digests.sha256();
    long[] count = new long[1];
    String authentication = null;
    long plain = -1;
    try (InputStream raw = store.open(key);
        Tee in = new Tee(raw, counting(sha256::update, count))) {
      try {
        plain =
            sealer.unseal(
                new NonClosing(in),
                OutputStream.nullOutputStream(),
                SpoolActivitiesImpl.aeadContext(backup.backupId(), backup.source()));
      } catch (VigilException e) {
        authentication = e.getMessage();
      }
      // The digest covers every stored byte, also past where authentication stopped.
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      return new DataRead(
          count[0],
          Optional.of(
              problem(
                  CheckProblem.UNREADABLE,
                  backup,
                  key,
                  where
                      + key
                      + " could not be read to its end (stopped after "
                      + count[0]
                      + " bytes: "
                      + e.getMessage()
                      + "); run the check again")));
    } catch (VigilException e) {
      return new DataRead(
          count[0],
          Optional.of(
              problem(
                  CheckProblem.UNREADABLE,
                  backup,
                  key,
                  where + key + " cannot be read: " + e.getMessage())));
    }
    String actual = Digests.hex(sha256);
    List<String> wrong = new ArrayList<>();
    if (backup.sha256() != null && !backup.sha256().equalsIgnoreCase(actual)) {
      wrong.add("its SHA-256 is " + actual + " where the catalog has " + backup.sha256());
    }
    if (authentication != null) {
      wrong.add("it does not decrypt with the configured key: " + authentication);
    } else if (backup.rawBytes() > 0 && plain != backup.rawBytes()) {
      wrong.add("it unseals to " + plain + " bytes where the catalog has " + backup.rawBytes());
    }
    if (wrong.isEmpty()) {
      return new DataRead(count[0], Optional.empty());
    }
    return new DataRead(
        count[0],
        Optional.of(
            problem(
                CheckProblem.DAMAGED,
                backup,
                key,
                where
                    + key
                    + " is damaged: "
                    + String.join("; ", wrong)
                    + "; this backup cannot be restored, restore another one or take a new"
                    + " backup")));
  }

  private record ChunksRead(long bytes, int chunks, int packs, List<CheckProblem> problems) {}

  /**
   * Reads every chunk the backup's snapshot names, pack by pack in offset order, one chunk in
   * memory at a time: each must be in its pack, authenticate and hash to its id.
   */
  private ChunksRead readChunks(ObjectStore store, CheckCatalog.Backup backup, String where) {
    List<CheckProblem> problems = new ArrayList<>();
    Snapshot snapshot;
    try (InputStream raw = store.open(backup.objectKey())) {
      java.io.ByteArrayOutputStream plain = new java.io.ByteArrayOutputStream();
      sealer.unseal(
          raw, plain, SpoolActivitiesImpl.aeadContext(backup.backupId(), backup.source()));
      snapshot = SnapshotCodec.read(new java.io.ByteArrayInputStream(plain.toByteArray()));
    } catch (IOException | VigilException e) {
      problems.add(
          problem(
              CheckProblem.UNREADABLE,
              backup,
              backup.objectKey(),
              where + "its snapshot cannot be read: " + e.getMessage()));
      return new ChunksRead(0, 0, 0, problems);
    }
    ChunkCrypto crypto;
    try {
      crypto = new ChunkCrypto(keys.require(snapshot.keyId(), "backup " + backup.backupId()));
    } catch (VigilException e) {
      problems.add(problem(CheckProblem.UNREADABLE, backup, backup.objectKey(), e.getMessage()));
      return new ChunksRead(0, 0, 0, problems);
    }
    Map<String, List<Map.Entry<String, ChunkRef>>> byPack = new TreeMap<>();
    for (Map.Entry<String, ChunkRef> chunk : snapshot.chunks().entrySet()) {
      byPack.computeIfAbsent(chunk.getValue().pack(), key -> new ArrayList<>()).add(chunk);
    }
    long bytes = 0;
    int chunks = 0;
    for (Map.Entry<String, List<Map.Entry<String, ChunkRef>>> pack : byPack.entrySet()) {
      String key = pack.getKey();
      List<Map.Entry<String, ChunkRef>> inPack = new ArrayList<>(pack.getValue());
      inPack.sort(Comparator.comparingLong(chunk -> chunk.getValue().offset()));
      if (store.head(key).isEmpty()) {
        problems.add(
            problem(
                CheckProblem.MISSING,
                backup,
                key,
                where
                    + "pack "
                    + key
                    + " ("
                    + inPack.size()
                    + " chunks of this backup) is missing; this backup cannot be restored"));
        continue;
      }
      try (InputStream in = store.open(key)) {
        long position = 0;
        for (Map.Entry<String, ChunkRef> chunk : inPack) {
          ChunkRef ref = chunk.getValue();
          in.skipNBytes(ref.offset() - position);
          byte[] stored = in.readNBytes(ref.length());
          position = ref.offset() + stored.length;
          bytes += stored.length;
          chunks++;
          if (stored.length < ref.length() || crypto.open(chunk.getKey(), stored) == null) {
            problems.add(
                problem(
                    CheckProblem.DAMAGED,
                    backup,
                    key,
                    where
                        + "chunk "
                        + chunk.getKey()
                        + " in pack "
                        + key
                        + " at offset "
                        + ref.offset()
                        + " is damaged (it does not authenticate or does not match its id);"
                        + " this backup cannot be restored, restore another one or take a new"
                        + " backup"));
            break;
          }
        }
      } catch (IOException | VigilException e) {
        problems.add(
            problem(
                CheckProblem.UNREADABLE,
                backup,
                key,
                where + "pack " + key + " could not be read: " + e.getMessage()));
      }
    }
    return new ChunksRead(bytes, chunks, byPack.size(), problems);
  }

  private record ManifestRead(long bytes, boolean present, Optional<CheckProblem> problem) {}

  private ManifestRead readManifest(ObjectStore store, CheckCatalog.Backup backup, String where) {
    String key = backup.manifestKey();
    Optional<StoredObject> head = store.head(key);
    if (head.isEmpty()) {
      // Reported missing by the object check.
      return new ManifestRead(0, false, Optional.empty());
    }
    Mac mac;
    try {
      mac =
          manifests.newMac(
              head.get().metadata().get(ManifestMac.KEY_ID_METADATA), "manifest " + key);
    } catch (VigilException e) {
      return new ManifestRead(
          0, true, Optional.of(problem(CheckProblem.UNREADABLE, backup, key, e.getMessage())));
    }
    long[] count = new long[1];
    BackupManifest.Described described = null;
    String invalid = null;
    try (InputStream raw = store.open(key);
        Tee in = new Tee(raw, counting(mac::update, count))) {
      try {
        described = BackupManifest.describes(in, "manifest " + key);
      } catch (VigilException e) {
        invalid = e.getMessage();
      }
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException | VigilException e) {
      return new ManifestRead(
          count[0],
          true,
          Optional.of(
              problem(
                  CheckProblem.UNREADABLE,
                  backup,
                  key,
                  where + "manifest " + key + " could not be read: " + e.getMessage())));
    }
    String wrong = checkMac(head.get(), mac);
    if (wrong == null && invalid != null) {
      wrong = ": " + invalid;
    }
    if (wrong == null) {
      List<String> mismatches = new ArrayList<>();
      compare(mismatches, "backupId", described.backupId(), backup.backupId());
      compare(mismatches, "source", described.source(), backup.source());
      compare(mismatches, "sealed.sha256", described.sha256(), backup.sha256());
      // A backup moved to cold storage keeps the manifest that names its original object.
      if (!java.util.Objects.equals(described.objectKey(), backup.hotObjectKey())) {
        compare(mismatches, "object.key", described.objectKey(), backup.objectKey());
      }
      if (!mismatches.isEmpty()) {
        wrong = " describes another backup (" + String.join(", ", mismatches) + ")";
      }
    }
    if (wrong == null) {
      return new ManifestRead(count[0], true, Optional.empty());
    }
    return new ManifestRead(
        count[0],
        true,
        Optional.of(
            problem(
                CheckProblem.DAMAGED,
                backup,
                key,
                where + "manifest " + key + wrong + "; do not trust this backup")));
  }

  /** Null when the stored HMAC matches, else what is wrong (starting with a space). */
  private static String checkMac(StoredObject head, Mac mac) {
    String stored = head.metadata().get(BackupManifest.HMAC_METADATA);
    if (stored == null || stored.isBlank()) {
      return " carries no " + BackupManifest.HMAC_METADATA + " and cannot be trusted";
    }
    byte[] actual = HexFormat.of().formatHex(mac.doFinal()).getBytes(StandardCharsets.US_ASCII);
    byte[] expected = stored.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(actual, expected)
        ? null
        : " fails its HMAC check (altered after it was written, or written with another key)";
  }

  private static void compare(List<String> mismatches, String field, String found, String want) {
    if (found == null || !found.equals(want)) {
      mismatches.add(field + " " + found + " where the catalog has " + want);
    }
  }

  private static CheckProblem problem(
      String kind, CheckCatalog.Backup backup, String key, String message) {
    return problem(kind, backup.source(), backup.backupId(), key, message);
  }

  private static CheckProblem problem(
      String kind, String source, String id, String key, String message) {
    return new CheckProblem(kind, source, id, key, message);
  }

  /** {@code sink}, also adding up the bytes it hears in {@code count[0]}. */
  private static ByteSink counting(ByteSink sink, long[] count) {
    return (bytes, offset, length) -> {
      sink.update(bytes, offset, length);
      count[0] += length;
    };
  }

  /** Hears every byte read through a {@link Tee}. */
  @FunctionalInterface
  private interface ByteSink {
    void update(byte[] bytes, int offset, int length);
  }

  /** Passes every byte read on to a digest or MAC. */
  private static final class Tee extends FilterInputStream {
    private final ByteSink sink;

    Tee(InputStream in, ByteSink sink) {
      super(in);
      this.sink = sink;
    }

    @Override
    public int read() throws IOException {
      int value = super.read();
      if (value >= 0) {
        sink.update(new byte[] {(byte) value}, 0, 1);
      }
      return value;
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
      int read = super.read(bytes, offset, length);
      if (read > 0) {
        sink.update(bytes, offset, read);
      }
      return read;
    }

    @Override
    public long skip(long n) throws IOException {
      // Skipped bytes would escape the digest: read them instead.
      byte[] buffer = new byte[(int) Math.max(1, Math.min(n, 8192))];
      long skipped = 0;
      while (skipped < n) {
        int read = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
        if (read < 0) {
          break;
        }
        skipped += read;
      }
      return skipped;
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }

  /** Keeps a reader (the sealer, a JSON parser) from closing the stream the check drains after. */
  private static final class NonClosing extends FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // The owner closes it.
    }
  }
}
