package dev.vigil.activities.cas;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hands out a snapshot's chunks in the order its files name them, as {@link ChunkReader} does, but
 * with packs downloaded on several threads ahead of need and chunks decrypted and verified on
 * several threads. A pack is held in memory while its chunks are opened and written, in a buffer
 * the reader reuses, as long as its budget ({@link #memoryBudget}) and the worker's pool allow,
 * else in a file in the scratch directory: writing every pack to disk and reading it back cost as
 * much kernel time as writing the restored files. A chunk in a pack in memory is decrypted where it
 * lies, and the caller writes it from there ({@link Opened#done}), so a restore allocates no array
 * per pack or per stored chunk. Memory and disk stay bounded: at most {@code window} chunks are
 * being opened or waiting to be taken (each at most one chunk's stored and plain bytes), and
 * read-ahead keeps at most {@code packsAhead} packs beyond those a chunk being opened needs; a pack
 * is dropped as soon as no later chunk needs it. Every chunk must authenticate and hash to its id,
 * else OBJECT_CORRUPT naming the chunk, file and pack; a pack gone from the store is CHUNK_MISSING
 * naming the first chunk and file that need it. Failures surface in file order, at the chunk they
 * concern.
 */
public final class ParallelChunkReader implements AutoCloseable {
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final ObjectStore store;
  private final ChunkCrypto crypto;
  private final Snapshot snapshot;
  private final Path scratch;
  private final String what;
  private final int window;
  private final int packsAhead;
  private final ExecutorService fetchers;
  private final ExecutorService openers;
  private final Iterator<Wanted> upcoming;
  private final Deque<Future<Opened>> inFlight = new ArrayDeque<>();
  private final AtomicInteger downloads = new AtomicInteger();
  private final AtomicInteger scratchFiles = new AtomicInteger();
  private final PackBuffers buffers;
  private final Map<String, Integer> chunkUses = new HashMap<>();

  // Guarded by this: packs by first use, their remaining uses and their downloads.
  private final List<String> packOrder = new ArrayList<>();
  private final Map<String, Wanted> firstUse = new HashMap<>();
  private final Map<String, Integer> usesLeft = new HashMap<>();
  private final Map<String, CompletableFuture<Fetched>> packs = new LinkedHashMap<>();
  private int nextReadAhead;
  private int live;

  /**
   * A chunk, verified: its plaintext {@code data[offset, offset + length)}, and (for a file of one
   * chunk) the file's SHA-256 computed on the way. The caller calls {@link #done} once it has
   * written the bytes: they may lie in a pack buffer the reader reuses after that.
   */
  public record Opened(byte[] data, int offset, int length, String fileSha256, Runnable release) {
    /** The plaintext has been used; its buffer may be reused. */
    public void done() {
      release.run();
    }
  }

  private static final Runnable NOTHING = () -> {};

  private record Wanted(String id, String file, boolean wholeFile) {}

  /**
   * A downloaded pack: its bytes in memory ({@code bytes[0, length)}), or the file holding them.
   */
  private record Fetched(byte[] bytes, int length, Path file) {}

  private static final Fetched RELEASED = new Fetched(null, 0, null);

  /**
   * Reads {@code snapshot}'s chunks from {@code store}: {@code threads} threads open chunks, {@code
   * store.concurrency()} threads download packs. {@code what} names the backup in errors.
   */
  public ParallelChunkReader(
      ObjectStore store,
      ChunkCrypto crypto,
      Snapshot snapshot,
      Path scratch,
      String what,
      int threads) {
    this(store, crypto, snapshot, scratch, what, threads, -1);
  }

  /**
   * As the public constructor, with packs kept in memory within {@code memoryBudget} bytes (0:
   * every pack in a scratch file; negative: {@link #memoryBudget}).
   */
  ParallelChunkReader(
      ObjectStore store,
      ChunkCrypto crypto,
      Snapshot snapshot,
      Path scratch,
      String what,
      int threads,
      long memoryBudget) {
    this.store = store;
    this.crypto = crypto;
    this.snapshot = snapshot;
    this.scratch = scratch;
    this.what = what;
    int fetching = Math.max(1, store.concurrency());
    this.window = 4 * Math.max(1, threads);
    this.packsAhead = fetching + 1;
    this.buffers =
        new PackBuffers(
            memoryBudget >= 0 ? memoryBudget : memoryBudget(packsAhead), PackBuffers.WORKER);
    List<Wanted> wanted = new ArrayList<>();
    for (Snapshot.Node node : snapshot.files()) {
      for (String id : node.chunks()) {
        Wanted chunk = new Wanted(id, node.path(), node.chunks().size() == 1);
        wanted.add(chunk);
        chunkUses.merge(id, 1, Integer::sum);
        ChunkRef ref = snapshot.chunks().get(id);
        if (ref != null) {
          if (usesLeft.merge(ref.pack(), 1, Integer::sum) == 1) {
            packOrder.add(ref.pack());
            firstUse.put(ref.pack(), chunk);
          }
        }
      }
    }
    this.upcoming = wanted.iterator();
    int pool = POOLS.incrementAndGet();
    this.fetchers = pool(fetching, "vigil-pack-fetch-" + pool);
    this.openers = pool(Math.max(1, threads), "vigil-chunk-open-" + pool);
    synchronized (this) {
      readAhead();
    }
  }

  /**
   * The next chunk in file order; it must be chunk {@code id} of {@code file} (the caller walks the
   * same snapshot).
   */
  public Opened next(String id, String file) throws IOException {
    while (inFlight.size() < window && upcoming.hasNext()) {
      Wanted chunk = upcoming.next();
      ChunkRef ref = snapshot.chunks().get(chunk.id());
      if (ref == null) {
        VigilException unknown =
            new VigilException(
                ErrorType.OBJECT_CORRUPT,
                what
                    + ": the snapshot names chunk "
                    + chunk.id()
                    + " of "
                    + chunk.file()
                    + " but not where it lies");
        inFlight.add(CompletableFuture.failedFuture(unknown));
        continue;
      }
      CompletableFuture<Fetched> pack = pack(ref.pack());
      inFlight.add(openers.submit(() -> open(chunk, ref, pack)));
    }
    Future<Opened> head = inFlight.poll();
    if (head == null) {
      throw new IllegalStateException("no chunk " + id + " of " + file + " is left to read");
    }
    try {
      return head.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("reading the chunks of " + what + " was interrupted");
    } catch (ExecutionException e) {
      throw rethrown(e.getCause());
    }
  }

  /** Packs downloaded so far. */
  public int downloads() {
    return downloads.get();
  }

  /** Packs of those that went to a scratch file, not memory. */
  int scratchFiles() {
    return scratchFiles.get();
  }

  /** Bytes of pack buffers in use now (not counting those kept for reuse). */
  long memoryHeld() {
    return buffers.inUse();
  }

  /**
   * The bytes a reader keeps packs in memory within: enough for {@code packsAhead} packs and as
   * many being opened and written. All readers of the worker together stay within {@link
   * PackBuffers#WORKER}, a quarter of the heap; the packs beyond go to scratch files.
   */
  static long memoryBudget(int packsAhead) {
    return 2L * packsAhead * (PackWriter.PACK_TARGET + (1 << 20));
  }

  private Opened open(Wanted chunk, ChunkRef ref, CompletableFuture<Fetched> pack)
      throws IOException {
    Fetched local;
    try {
      local = pack.join();
    } catch (CompletionException e) {
      throw rethrown(e.getCause());
    }
    byte[] stored;
    int at = 0;
    if (local.bytes() == null) {
      stored = readStored(local.file(), chunk, ref);
    } else if (ref.offset() < 0 || ref.offset() + ref.length() > local.length()) {
      throw corrupt(chunk, ref, "the pack ends before it");
    } else if (chunkUses.get(chunk.id()) == 1) {
      // Its only use: decrypted where it lies in the pack.
      stored = local.bytes();
      at = (int) ref.offset();
    } else {
      // Used again later: opened from a copy, the pack's bytes left for the next use.
      stored =
          Arrays.copyOfRange(local.bytes(), (int) ref.offset(), (int) ref.offset() + ref.length());
    }
    ChunkCrypto.Plain plain = crypto.openInPlace(chunk.id(), stored, at, ref.length());
    Runnable done = NOTHING;
    if (plain != null && plain.array() == local.bytes()) {
      // The plaintext lies in the pack buffer: the pack is kept until the caller has written it.
      done = () -> release(ref.pack());
    } else {
      release(ref.pack());
    }
    if (plain == null) {
      throw corrupt(chunk, ref, "it does not authenticate or does not match its id");
    }
    String sha256 = null;
    if (chunk.wholeFile()) {
      MessageDigest digest = Digests.sha256();
      digest.update(plain.array(), plain.offset(), plain.length());
      sha256 = Digests.hex(digest);
    }
    return new Opened(plain.array(), plain.offset(), plain.length(), sha256, done);
  }

  private byte[] readStored(Path local, Wanted chunk, ChunkRef ref) throws IOException {
    byte[] stored = new byte[ref.length()];
    try (FileChannel channel = FileChannel.open(local)) {
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
        throw corrupt(chunk, ref, "the pack ends before it");
      }
    }
    return stored;
  }

  private synchronized CompletableFuture<Fetched> pack(String key) {
    CompletableFuture<Fetched> download = packs.get(key);
    return download != null ? download : start(key);
  }

  /** Starts downloading packs ahead, in first-use order, until {@code packsAhead} are live. */
  private void readAhead() {
    while (live < packsAhead && nextReadAhead < packOrder.size()) {
      String key = packOrder.get(nextReadAhead++);
      if (!packs.containsKey(key)) {
        start(key);
      }
    }
  }

  private CompletableFuture<Fetched> start(String key) {
    live++;
    Wanted first = firstUse.get(key);
    CompletableFuture<Fetched> download =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return download(key, first);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            fetchers);
    packs.put(key, download);
    return download;
  }

  /**
   * One use of {@code key} done: the last one drops the pack (its buffer back for reuse, or its
   * file deleted; one that cannot be is left to {@link #close}) and lets read-ahead go on.
   */
  private synchronized void release(String key) {
    if (usesLeft.merge(key, -1, Integer::sum) > 0) {
      return;
    }
    CompletableFuture<Fetched> done = packs.get(key);
    if (done != null && done.isDone() && !done.isCompletedExceptionally()) {
      Fetched fetched = done.join();
      if (fetched.bytes() != null) {
        buffers.give(fetched.bytes());
      } else if (fetched.file() != null) {
        try {
          Files.deleteIfExists(fetched.file());
        } catch (IOException e) {
          // close() deletes every pack file left in the scratch directory.
        }
      }
      packs.put(key, CompletableFuture.completedFuture(RELEASED));
    }
    live--;
    readAhead();
  }

  private Fetched download(String key, Wanted first) throws IOException {
    Optional<StoredObject> head = store.head(key);
    if (head.isEmpty()) {
      throw ChunkReader.missing(what, store, key, first.id(), first.file());
    }
    downloads.incrementAndGet();
    long size = head.get().size();
    byte[] buffer = size >= 0 && size <= Integer.MAX_VALUE - (2 << 20) ? buffers.take(size) : null;
    if (buffer != null) {
      int length;
      try (InputStream in = store.open(key)) {
        // A pack shorter than its listing keeps its length: chunks past its end are damaged.
        length = in.readNBytes(buffer, 0, (int) size);
      } catch (IOException | RuntimeException e) {
        buffers.give(buffer);
        throw e;
      }
      return new Fetched(buffer, length, null);
    }
    return new Fetched(null, 0, downloadToScratch(key));
  }

  private Path downloadToScratch(String key) throws IOException {
    int number = scratchFiles.getAndIncrement();
    Path local = scratch.resolve("pack-" + number);
    Path partial = scratch.resolve("pack-" + number + ".download");
    try (InputStream in = store.open(key)) {
      Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.move(partial, local, StandardCopyOption.REPLACE_EXISTING);
    return local;
  }

  private VigilException corrupt(Wanted chunk, ChunkRef ref, String why) {
    return ChunkReader.damaged(what, chunk.id(), chunk.file(), ref, why);
  }

  private static IOException rethrown(Throwable cause) throws IOException {
    if (cause instanceof CompletionException wrapped && wrapped.getCause() != null) {
      cause = wrapped.getCause();
    }
    if (cause instanceof UncheckedIOException unchecked) {
      throw unchecked.getCause();
    }
    if (cause instanceof IOException io) {
      throw io;
    }
    if (cause instanceof RuntimeException runtime) {
      throw runtime;
    }
    throw new IllegalStateException("reading chunks failed", cause);
  }

  /** Stops the threads and deletes every pack file still in the scratch directory. */
  @Override
  public void close() throws IOException {
    fetchers.shutdownNow();
    openers.shutdownNow();
    // A download dropped from the queue never completes its future, and an opener waiting in
    // join() is not interrupted: fail what is left so those openers end now, not after a timeout.
    synchronized (this) {
      CancellationException closed = new CancellationException("the chunk reader was closed");
      packs.values().forEach(download -> download.completeExceptionally(closed));
    }
    inFlight.forEach(chunk -> chunk.cancel(true));
    inFlight.clear();
    try {
      // A download still writing must not leave its file after the scratch is cleaned.
      fetchers.awaitTermination(30, TimeUnit.SECONDS);
      openers.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    buffers.close();
    try (var left = Files.list(scratch)) {
      for (Path file : left.filter(p -> p.getFileName().toString().startsWith("pack-")).toList()) {
        Files.deleteIfExists(file);
      }
    }
  }

  private static ExecutorService pool(int threads, String name) {
    AtomicInteger thread = new AtomicInteger();
    return Executors.newFixedThreadPool(
        threads,
        task -> {
          Thread worker = new Thread(task, name + "-" + thread.incrementAndGet());
          worker.setDaemon(true);
          return worker;
        });
  }
}
