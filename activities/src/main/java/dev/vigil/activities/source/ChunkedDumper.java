package dev.vigil.activities.source;

import com.fasterxml.jackson.databind.SequenceWriter;
import dev.vigil.activities.cas.ChunkCatalog;
import dev.vigil.activities.cas.ChunkCrypto;
import dev.vigil.activities.cas.ChunkRef;
import dev.vigil.activities.cas.ChunkSealer;
import dev.vigil.activities.cas.PackWriter;
import dev.vigil.activities.cas.Snapshot;
import dev.vigil.activities.cas.SnapshotCodec;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.Json;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.config.DirectorySourceConfig;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Backs up a directory tree as content-addressed chunks ({@code layout: chunked}): every file is
 * cut into {@link #CHUNK_SIZE} pieces at file offsets, each named by its keyed hash; a chunk the
 * source's store already holds (or this backup already wrote) is only referenced, a new one is
 * compressed (when the file's first chunk compresses), sealed and appended to a pack that is
 * uploaded once full. Writes the snapshot (the tree and every chunk's place) and the same file list
 * as the tar layout into the spool. Chunks are hashed, compressed and sealed on one thread per core
 * ({@link ChunkSealer}) and stored in read order. Memory: up to two chunks per core in flight, each
 * with its sealed copy (about 16 MiB per core), and the chunk index of the source (roughly 400
 * bytes per stored chunk).
 */
public final class ChunkedDumper {
  /** Files are cut at multiples of this. */
  public static final int CHUNK_SIZE = 1 << 20;

  /** The snapshot's name in the spool (the raw file the seal step seals). */
  public static final String SNAPSHOT = "snapshot.json";

  /** What a chunked dump wrote and sent. */
  public record Result(
      DirDump dump,
      long packsUploaded,
      long bytesUploaded,
      long chunksReused,
      Set<String> packs,
      long bytesRead,
      long filesUnchanged) {}

  /** A file this dump backed up, recorded in the file cache once its chunk list is complete. */
  private record Seen(String path, FileCache.Stat stat, String sha256, List<String> chunks) {}

  /** Chunks {@code source} into packs in {@code store}; writes the snapshot and file list. */
  public Result dump(
      DirectorySourceConfig source,
      Path spoolDir,
      String backupId,
      ChunkCrypto crypto,
      ChunkCatalog catalog,
      dev.vigil.activities.store.ObjectStore store,
      String storageClass,
      java.util.function.Consumer<Object> heartbeat) {
    Path root = DirectoryDumper.requireDirectory(source);
    Instant consistentAt = Instant.now();
    Map<String, ChunkRef> known =
        catalog.liveChunks(source.repository(), source.name(), crypto.keyId());
    Map<String, ChunkRef> referenced = new LinkedHashMap<>();
    List<Snapshot.Node> nodes = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    DirectoryDumper.Filter filter = new DirectoryDumper.Filter(source.include(), source.exclude());
    Path fileList = spoolDir.resolve(DirectoryDumper.FILE_LIST);
    long entries = 0;
    long contentBytes = 0;
    long[] reused = {0};
    long reported = 0;
    long bytesRead = 0;
    long filesSkipped = 0;
    FileCache cache =
        FileCache.load(FileCache.fileOf(spoolDir.getParent(), source.name()), consistentAt);
    List<Seen> seen = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root);
        PackWriter packs =
            new PackWriter(
                spoolDir,
                store,
                catalog,
                source.repository(),
                source.name(),
                crypto.keyId(),
                backupId,
                storageClass);
        SequenceWriter list =
            Json.MAPPER.writer().withRootValueSeparator("\n").writeValues(fileList.toFile());
        ChunkSealer sealer =
            new ChunkSealer(
                crypto,
                known,
                Runtime.getRuntime().availableProcessors(),
                chunk -> {
                  ChunkRef ref = referenced.get(chunk.id());
                  if (ref == null) {
                    ref = known.get(chunk.id());
                    if (ref != null) {
                      reused[0]++;
                    } else {
                      ref = packs.add(chunk.id(), chunk.sealed());
                    }
                    referenced.put(chunk.id(), ref);
                  }
                  chunk.file().add(chunk.id());
                })) {
      List<Path> paths = walk.filter(path -> !path.equals(root)).sorted().toList();
      for (Path path : paths) {
        String relative = root.relativize(path).toString().replace('\\', '/');
        if (!filter.accepts(relative, Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS))) {
          continue;
        }
        PosixFileAttributes attributes =
            Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        int mode = DirectoryDumper.mode(attributes.permissions());
        long mtime = attributes.lastModifiedTime().toMillis();
        FileEntry entry;
        List<String> chunks = List.of();
        FileCache.Stat stat = attributes.isRegularFile() ? FileCache.Stat.of(path) : null;
        FileCache.Entry cached =
            stat == null ? null : cache.unchanged(relative, stat, known.keySet());
        if (attributes.isSymbolicLink()) {
          String target = Files.readSymbolicLink(path).toString();
          entry = new FileEntry(relative, "symlink", 0, null, mode, mtime, target);
        } else if (attributes.isDirectory()) {
          entry = new FileEntry(relative, "dir", 0, null, mode, mtime, null);
        } else if (cached != null) {
          // Unchanged since the last dump on this worker, and every chunk still stored: not read.
          chunks = new ArrayList<>(cached.chunks());
          for (String id : chunks) {
            if (referenced.putIfAbsent(id, known.get(id)) == null) {
              reused[0]++;
            }
          }
          filesSkipped++;
          entry =
              new FileEntry(relative, "file", cached.size(), cached.sha256(), mode, mtime, null);
          contentBytes += cached.size();
          seen.add(new Seen(relative, stat, cached.sha256(), chunks));
        } else if (attributes.isRegularFile()) {
          chunks = new ArrayList<>();
          MessageDigest sha256 = Digests.sha256();
          long size = 0;
          sealer.startFile();
          try (InputStream in = Files.newInputStream(path)) {
            byte[] data;
            while ((data = in.readNBytes(CHUNK_SIZE)).length > 0) {
              sha256.update(data);
              size += data.length;
              if (contentBytes + size - reported >= 64L << 20) {
                // Heartbeats on bytes read: an unchanged tree uploads nothing for a long time.
                reported = contentBytes + size;
                heartbeat.accept(reported);
              }
              // Hashed, compressed (decided once per file, by its first chunk) and sealed on
              // the sealer's threads; stored in order by the sink below.
              sealer.add(data, chunks);
            }
          }
          if (size != attributes.size()) {
            warnings.add(
                relative
                    + " changed while it was read ("
                    + attributes.size()
                    + " bytes before, "
                    + size
                    + " read); the backup holds what was read");
          }
          entry = new FileEntry(relative, "file", size, Digests.hex(sha256), mode, mtime, null);
          contentBytes += size;
          bytesRead += size;
          if (size == stat.size()) {
            seen.add(new Seen(relative, stat, entry.sha256(), chunks));
          }
        } else {
          warnings.add("skipped " + relative + ": not a regular file, directory or symlink");
          continue;
        }
        list.write(entry);
        nodes.add(
            new Snapshot.Node(
                entry.path(), entry.type(), entry.size(), mode, mtime, entry.linkTarget(), chunks));
        entries++;
      }
      sealer.finish();
      packs.finish();
      Set<String> packKeys = new LinkedHashSet<>();
      referenced.values().forEach(ref -> packKeys.add(ref.pack()));
      catalog.referencePacks(source.repository(), source.name(), backupId, packKeys);
      Path snapshot = spoolDir.resolve(SNAPSHOT);
      SnapshotCodec.write(
          new Snapshot(SnapshotCodec.VERSION, crypto.keyId(), CHUNK_SIZE, referenced, nodes),
          snapshot);
      heartbeat.accept(contentBytes);
      // Only now are the chunk lists complete (chunks are stored in order as the sealer drains).
      seen.forEach(file -> cache.record(file.path(), file.stat(), file.sha256(), file.chunks()));
      cache.save();
      return new Result(
          new DirDump(
              snapshot,
              fileList,
              Files.size(snapshot),
              entries,
              contentBytes,
              consistentAt,
              warnings),
          packs.packsUploaded(),
          packs.bytesUploaded(),
          reused[0],
          packKeys,
          bytesRead,
          filesSkipped);
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          spoolDir,
          "dump",
          new VigilException(
              ErrorType.DUMP_FAILED,
              "source '" + source.name() + "': cannot back up " + root + ": " + e.getMessage(),
              e));
    }
  }
}
