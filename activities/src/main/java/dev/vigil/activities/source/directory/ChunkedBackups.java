package dev.vigil.activities.source.directory;

import dev.vigil.activities.VigilServices;
import dev.vigil.activities.backup.DumpMeta;
import dev.vigil.activities.backup.ManifestWriter;
import dev.vigil.activities.cas.ChunkCatalog;
import dev.vigil.activities.cas.ChunkCrypto;
import dev.vigil.activities.cas.ChunkRef;
import dev.vigil.activities.cas.PackVerifier;
import dev.vigil.activities.cas.ParallelChunkReader;
import dev.vigil.activities.cas.Snapshot;
import dev.vigil.activities.cas.SnapshotCodec;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.DirectorySourceConfig;
import dev.vigil.activities.config.S3RepositoryConfig;
import dev.vigil.activities.restore.BackupManifest;
import dev.vigil.activities.restore.DirectoryRestorer;
import dev.vigil.activities.restore.RestoreStep;
import dev.vigil.activities.source.ChunkedDumper;
import dev.vigil.activities.source.DirectoryDumper;
import dev.vigil.activities.source.DumpStep;
import dev.vigil.activities.source.SourceDump;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chunked layout of directory backups, as the directory driver's steps see it: the dump chunks
 * and uploads packs, the verify step proves every pack the snapshot needs is stored, and a restore
 * streams the snapshot's tree out of its packs into the safe extractor.
 */
final class ChunkedBackups {
  private static final Logger log = LoggerFactory.getLogger(ChunkedBackups.class);

  /**
   * Written into the restore's spool directory once a chunked restore matched every file it wrote
   * with the manifest; holds the target's path.
   */
  static final String VERIFIED = "restore.verified";

  private final ChunkedDumper dumper = new ChunkedDumper();

  SourceDump dump(DirectorySourceConfig source, DumpStep step) {
    VigilServices services = step.services();
    ObjectStore store = services.store(source.repository());
    String storageClass = services.config().repositories().get(source.repository()).storageClass();
    ChunkedDumper.Result result =
        dumper.dump(
            source,
            step.dir(),
            step.backupId(),
            new ChunkCrypto(services.keys().current()),
            new ChunkCatalog(services.catalogDataSource()),
            store,
            storageClass,
            step.heartbeat());
    log.info(
        "chunked dump {} of {}: {} files unchanged (not read), {} bytes read, {} new packs ({}"
            + " bytes), {} chunks reused, {} packs referenced",
        step.backupId(),
        source.name(),
        result.filesUnchanged(),
        result.bytesRead(),
        result.packsUploaded(),
        result.bytesUploaded(),
        result.chunksReused(),
        result.packs().size());
    return new SourceDump(
        new DumpMeta(
            DirectoryDriver.CHUNKED_FORMAT,
            ChunkedDumper.SNAPSHOT,
            DirectoryDumper.FILE_LIST,
            result.dump().warnings()),
        result.dump().archiveBytes(),
        result.dump().entries(),
        0,
        result.dump().consistentAt(),
        "vigil-chunked " + ManifestWriter.VIGIL_VERSION,
        null);
  }

  /**
   * Every pack the snapshot names is recorded for this backup and stored with the recorded size;
   * the packs this backup wrote are proved by the store's CRC64NVME where the repository verifies
   * by checksum, else read back and hashed. Returns the tree's entries.
   */
  long verify(Path raw, Path listFile, DumpStep step) {
    Snapshot snapshot = read(raw);
    ChunkCatalog catalog = new ChunkCatalog(step.services().catalogDataSource());
    Map<String, ChunkCatalog.Pack> recorded =
        catalog.packsOf(step.backupId()).stream()
            .collect(Collectors.toMap(ChunkCatalog.Pack::key, Function.identity()));
    Map<String, String> crcs = catalog.checksumsOf(step.backupId());
    Set<String> needed = new LinkedHashSet<>();
    snapshot.chunks().values().stream().map(ChunkRef::pack).forEach(needed::add);
    List<ChunkCatalog.Pack> packs = new ArrayList<>();
    for (String key : needed) {
      ChunkCatalog.Pack pack = recorded.get(key);
      if (pack == null || !"LIVE".equals(pack.state())) {
        throw invalid(step, "pack " + key + " is not recorded as stored for this backup");
      }
      packs.add(pack);
    }
    // Two requests a pack (its size, then its checksum or bytes), the packs side by side as many
    // at a time as the repository uploads: a hundred packs one after another took seconds.
    int threads =
        Math.max(
            1,
            packs.stream()
                .mapToInt(pack -> step.services().store(pack.repository()).concurrency())
                .max()
                .orElse(1));
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.min(threads, Math.max(1, packs.size())),
            task -> {
              Thread thread = new Thread(task, "vigil-pack-verify");
              thread.setDaemon(true);
              return thread;
            });
    try {
      List<Future<?>> checks = new ArrayList<>();
      for (ChunkCatalog.Pack pack : packs) {
        checks.add(pool.submit(() -> verifyPack(step, pack, crcs.get(pack.key()))));
      }
      long checked = 0;
      for (Future<?> check : checks) {
        await(check);
        step.heartbeat().accept(++checked);
      }
    } finally {
      pool.shutdownNow();
    }
    return snapshot.files().size();
  }

  /** The pack is in the store at its recorded size and, if this backup wrote it, intact. */
  private static void verifyPack(DumpStep step, ChunkCatalog.Pack pack, String crc) {
    String key = pack.key();
    ObjectStore store = step.services().store(pack.repository());
    Optional<StoredObject> stored = store.head(key);
    if (stored.isEmpty() || stored.get().size() != pack.size()) {
      throw new VigilException(
          ErrorType.UPLOAD_MISMATCH,
          "backup "
              + step.backupId()
              + ": pack "
              + key
              + (stored.isEmpty()
                  ? " is missing from the store"
                  : " holds " + stored.get().size() + " bytes, not " + pack.size()));
    }
    if (step.backupId().equals(pack.createdBy())) {
      PackVerifier.verify(store, byChecksum(step, pack.repository()), step.backupId(), pack, crc);
    }
  }

  /** Waits for one pack's check; its failure is thrown as it was raised. */
  private static void await(Future<?> check) {
    try {
      check.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VigilException(
          ErrorType.REPOSITORY_UNAVAILABLE, "the check of the packs was interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * Restores a chunked backup into {@code into} from its snapshot (the sealed spool file,
   * decrypted): files are written straight from their chunks, packs fetched {@code
   * store.concurrency()} at a time and chunks opened on one thread per processor, each file's
   * SHA-256 matched with the manifest as it is written ({@link DirectoryRestorer#restoreSnapshot}).
   * Leaves {@link #VERIFIED} in the spool directory for the validate step.
   */
  void restore(RestoreStep step, Path into, boolean replace, DirectoryRestorer directories)
      throws IOException {
    Snapshot snapshot = snapshot(step);
    String what = "backup '" + step.backup().backupId() + "'";
    ChunkCrypto crypto = new ChunkCrypto(step.services().keys().require(snapshot.keyId(), what));
    ObjectStore store = step.services().store(step.backup().source().repository());
    Path scratch = Files.createDirectories(step.dir().resolve("packs"));
    Path verified = step.dir().resolve(VERIFIED);
    Files.deleteIfExists(verified);
    try (ParallelChunkReader chunks =
            new ParallelChunkReader(
                store,
                crypto,
                snapshot,
                scratch,
                what,
                Runtime.getRuntime().availableProcessors());
        BackupManifest.FileList files = step.manifest().files()) {
      directories.restoreSnapshot(
          snapshot, chunks, into, step.restoreId(), replace, files, step.heartbeat()::accept);
    }
    Files.writeString(verified, into + "\n");
  }

  /**
   * Whether this restore's restore step wrote {@code into} from a chunked backup, matching every
   * file's SHA-256 with the manifest as it wrote it.
   */
  static boolean verifiedWhileWritten(RestoreStep step, Path into) {
    Path verified = step.dir().resolve(VERIFIED);
    try {
      return Files.isRegularFile(verified)
          && Files.readString(verified).strip().equals(into.toString());
    } catch (IOException e) {
      return false;
    }
  }

  private static Snapshot snapshot(RestoreStep step) throws IOException {
    try (InputStream in = step.openPlaintext()) {
      Snapshot snapshot = SnapshotCodec.read(in);
      // Authenticated only once read to its end: a cut or altered snapshot throws here.
      in.transferTo(OutputStream.nullOutputStream());
      return snapshot;
    }
  }

  /** Whether the repository verifies uploads by the store's checksum rather than reading back. */
  private static boolean byChecksum(DumpStep step, String repository) {
    return step.services().config().repositories().get(repository) instanceof S3RepositoryConfig s3
        && s3.verifiesByChecksum();
  }

  static Snapshot read(Path file) {
    try {
      return SnapshotCodec.read(file);
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.DUMP_INVALID, "snapshot " + file + " is unreadable: " + e.getMessage());
    }
  }

  private static VigilException invalid(DumpStep step, String what) {
    return new VigilException(ErrorType.DUMP_INVALID, "backup " + step.backupId() + ": " + what);
  }
}
