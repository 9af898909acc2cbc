package dev.vigil.activities.cas;

import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads a snapshot's chunks in the order its files name them: each pack is downloaded once into a
 * scratch directory and deleted as soon as no later chunk needs it, so the disk holds about one
 * pack while a first backup restores (packs are written in file order). Every chunk must
 * authenticate and hash to its id, else OBJECT_CORRUPT naming the chunk, pack and file; a pack gone
 * from the store is CHUNK_MISSING.
 */
public final class ChunkReader implements AutoCloseable {
  private final ObjectStore store;
  private final ChunkCrypto crypto;
  private final Snapshot snapshot;
  private final Path scratch;
  private final String what;
  private final Map<String, Integer> usesLeft = new HashMap<>();
  private final Map<String, Path> cached = new HashMap<>();
  private int downloads;

  /** {@code what} names the backup in errors ({@code backup 'models-…'}). */
  public ChunkReader(
      ObjectStore store, ChunkCrypto crypto, Snapshot snapshot, Path scratch, String what) {
    this.store = store;
    this.crypto = crypto;
    this.snapshot = snapshot;
    this.scratch = scratch;
    this.what = what;
    for (Snapshot.Node node : snapshot.files()) {
      for (String id : node.chunks()) {
        ChunkRef ref = snapshot.chunks().get(id);
        if (ref != null) {
          usesLeft.merge(ref.pack(), 1, Integer::sum);
        }
      }
    }
  }

  /** The plaintext of chunk {@code id} of {@code file}, verified. */
  public byte[] read(String id, String file) throws IOException {
    ChunkRef ref = snapshot.chunks().get(id);
    if (ref == null) {
      throw new VigilException(
          ErrorType.OBJECT_CORRUPT,
          what + ": the snapshot names chunk " + id + " of " + file + " but not where it lies");
    }
    Path pack = pack(ref.pack(), id, file);
    byte[] stored = new byte[ref.length()];
    try (FileChannel channel = FileChannel.open(pack)) {
      ByteBuffer into = ByteBuffer.wrap(stored);
      long position = ref.offset();
      while (into.hasRemaining()) {
        int read = channel.read(into, position);
        if (read < 0) {
          break;
        }
        position += read;
      }
      if (into.hasRemaining()) {
        throw corrupt(id, ref, file, "the pack ends before it");
      }
    }
    byte[] plain = crypto.open(id, stored);
    if (plain == null) {
      throw corrupt(id, ref, file, "it does not authenticate or does not match its id");
    }
    if (usesLeft.merge(ref.pack(), -1, Integer::sum) <= 0) {
      Path done = cached.remove(ref.pack());
      if (done != null) {
        Files.deleteIfExists(done);
      }
    }
    return plain;
  }

  /** Packs downloaded so far. */
  public int downloads() {
    return downloads;
  }

  private Path pack(String key, String id, String file) throws IOException {
    Path local = cached.get(key);
    if (local != null) {
      return local;
    }
    if (store.head(key).isEmpty()) {
      throw missing(what, store, key, id, file);
    }
    local = scratch.resolve("pack-" + downloads++);
    Path partial = scratch.resolve("pack-download");
    try (InputStream in = store.open(key)) {
      Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(partial, local, StandardCopyOption.REPLACE_EXISTING);
    cached.put(key, local);
    return local;
  }

  private VigilException corrupt(String id, ChunkRef ref, String file, String why) {
    return damaged(what, id, file, ref, why);
  }

  /** OBJECT_CORRUPT: chunk {@code id} of {@code file} at {@code ref} is damaged ({@code why}). */
  static VigilException damaged(String what, String id, String file, ChunkRef ref, String why) {
    return new VigilException(
        ErrorType.OBJECT_CORRUPT,
        what
            + ": chunk "
            + id
            + " of "
            + file
            + " in pack "
            + ref.pack()
            + " at offset "
            + ref.offset()
            + " is damaged ("
            + why
            + "); the pack was altered or corrupted in the store");
  }

  /** CHUNK_MISSING: pack {@code key}, first needed by chunk {@code id} of {@code file}, is gone. */
  static VigilException missing(
      String what, ObjectStore store, String key, String id, String file) {
    return new VigilException(
        ErrorType.CHUNK_MISSING,
        what
            + ": pack "
            + key
            + " (chunk "
            + id
            + " of "
            + file
            + ") is missing from bucket "
            + store.bucket()
            + "; this backup cannot be restored, restore an older or newer one");
  }

  @Override
  public void close() throws IOException {
    for (Path path : cached.values()) {
      Files.deleteIfExists(path);
    }
    cached.clear();
  }
}
