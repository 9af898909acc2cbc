package dev.vigil.activities.cas;

import dev.vigil.activities.store.ObjectAttributes;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.UploadOutcome;
import dev.vigil.activities.store.WrittenChecksums;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Fills pack files in the spool with sealed chunks and uploads each once it is full, on background
 * threads while the next pack fills: at most {@link ObjectStore#concurrency()} uploads are in
 * flight, so the spool holds at most that many packs plus the one filling. The pack is recorded
 * (UPLOADING, referenced by the backup) before its upload and marked LIVE with its chunks, its
 * SHA-256 and the CRC64NVME the store checked on receipt (in a repository that verifies by
 * checksum) after, so a crash leaves at worst an unreferenced pack a later sweep deletes. The
 * SHA-256 and the CRC64NVMEs are taken from the sealed bytes as they are written ({@link
 * WrittenChecksums}, on a thread of their own with at most {@value #CHECKSUM_BACKLOG} chunks
 * waiting), so a pack is read once, by its upload.
 */
public final class PackWriter implements AutoCloseable {
  /** A pack is uploaded once it holds this many bytes. */
  public static final long PACK_TARGET = 16L << 20;

  /** Sealed chunks waiting for their checksums at most (each up to a chunk's size). */
  private static final int CHECKSUM_BACKLOG = 8;

  private final Path dir;
  private final ObjectStore store;
  private final ChunkCatalog catalog;
  private final String repository;
  private final String source;
  private final String keyId;
  private final String backupId;
  private final String storageClass;
  private final SecureRandom random = new SecureRandom();
  private final int uploads;
  private final ExecutorService uploader;
  private final Deque<Future<Long>> inFlight = new ArrayDeque<>();

  /**
   * Takes the packs' checksums off the dump thread (CRC64NVME in Java costs more than reading and
   * hashing the file): one thread, so bytes are checksummed in the order they are written.
   */
  private final ExecutorService checksummer =
      Executors.newSingleThreadExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "vigil-pack-checksums");
            thread.setDaemon(true);
            return thread;
          });

  private final Semaphore backlog = new Semaphore(CHECKSUM_BACKLOG);

  private String key;
  private Path file;
  private OutputStream out;
  private WrittenChecksums.Recorder checksums;
  private long size;
  private Map<String, ChunkRef> chunks = new LinkedHashMap<>();
  private long packsUploaded;
  private long bytesUploaded;

  public PackWriter(
      Path dir,
      ObjectStore store,
      ChunkCatalog catalog,
      String repository,
      String source,
      String keyId,
      String backupId,
      String storageClass) {
    this.dir = dir;
    this.store = store;
    this.catalog = catalog;
    this.repository = repository;
    this.source = source;
    this.keyId = keyId;
    this.backupId = backupId;
    this.storageClass = storageClass;
    this.uploads = Math.max(1, store.concurrency());
    this.uploader =
        Executors.newFixedThreadPool(
            uploads,
            runnable -> {
              Thread thread = new Thread(runnable, "vigil-pack-upload");
              thread.setDaemon(true);
              return thread;
            });
  }

  /** Appends a sealed chunk to the current pack; returns where it will lie. */
  public ChunkRef add(String id, byte[] sealed) throws IOException {
    if (out == null) {
      open();
    }
    ChunkRef ref = new ChunkRef(key, size, sealed.length);
    out.write(sealed);
    WrittenChecksums.Recorder recorder = checksums;
    try {
      backlog.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while a pack was written", e);
    }
    checksummer.execute(
        () -> {
          try {
            recorder.update(sealed, 0, sealed.length);
          } finally {
            backlog.release();
          }
        });
    size += sealed.length;
    chunks.put(id, ref);
    if (size >= PACK_TARGET) {
      flush();
    }
    return ref;
  }

  /** Starts the upload of the current pack, if it holds anything, once an upload slot is free. */
  public void flush() throws IOException {
    if (out == null) {
      return;
    }
    out.close();
    out = null;
    String packKey = key;
    Path packFile = file;
    long packSize = size;
    Map<String, ChunkRef> packChunks = chunks;
    WrittenChecksums.Recorder recorder = checksums;
    Future<WrittenChecksums> checksummed = checksummer.submit(() -> recorder.finish());
    while (inFlight.size() >= uploads) {
      awaitUpload();
    }
    inFlight.add(
        uploader.submit(
            () -> {
              WrittenChecksums written = checksummed.get();
              String hex = written.sha256();
              catalog.registerPack(packKey, repository, source, keyId, backupId);
              // The CRCs were taken from the sealed bytes as they were written: the store checks
              // the bytes it receives against them, so the CRC64NVME it returns stands for what
              // was sealed, without reading the pack a second time to compute it.
              UploadOutcome outcome =
                  store.uploadFile(
                      packFile,
                      packKey,
                      new ObjectAttributes(
                          storageClass,
                          Map.of("vigil-source", source, "vigil-backup-id", backupId),
                          Map.of("vigil-sha256", hex, "vigil-key-id", keyId),
                          hex),
                      written);
              catalog.packStored(packKey, packSize, hex, outcome.crc64nvme(), packChunks);
              Files.delete(packFile);
              return packSize;
            }));
  }

  /** Uploads what is left and waits until every pack is stored and recorded LIVE. */
  public void finish() throws IOException {
    flush();
    while (!inFlight.isEmpty()) {
      awaitUpload();
    }
  }

  /** Waits for the oldest upload in flight. */
  private void awaitUpload() throws IOException {
    Future<Long> oldest = inFlight.poll();
    if (oldest == null) {
      return;
    }
    try {
      long uploaded = oldest.get();
      packsUploaded++;
      bytesUploaded += uploaded;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while a pack was uploaded", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Packs uploaded so far. */
  public long packsUploaded() {
    return packsUploaded;
  }

  /** Bytes of packs uploaded so far. */
  public long bytesUploaded() {
    return bytesUploaded;
  }

  private void open() throws IOException {
    byte[] name = new byte[16];
    random.nextBytes(name);
    String hex = HexFormat.of().formatHex(name);
    key = store.key(source + "/packs/" + hex.substring(0, 2) + "/" + hex);
    file = dir.resolve("pack-" + hex);
    out = Files.newOutputStream(file);
    checksums = new WrittenChecksums.Recorder();
    size = 0;
    chunks = new LinkedHashMap<>();
  }

  @Override
  public void close() throws IOException {
    checksummer.shutdownNow();
    uploader.shutdownNow();
    try {
      // A failed dump's retry starts a fresh spool: let an interrupted upload stop first.
      uploader.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (out != null) {
      out.close();
      Files.deleteIfExists(file);
    }
  }
}
