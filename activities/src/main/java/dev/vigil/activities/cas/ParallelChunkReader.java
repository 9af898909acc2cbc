package dev.vigil.activities.cas;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.store.ObjectStore;
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
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * several threads. Memory and disk stay bounded: at most {@code window} chunks are being opened or
 * waiting to be taken (each at most one chunk's stored and plain bytes), and read-ahead keeps at
 * most {@code packsAhead} packs in the scratch directory beyond those a chunk being opened needs; a
 * pack is deleted as soon as no later chunk needs it. Every chunk must authenticate and hash to its
 * id, else OBJECT_CORRUPT naming the chunk, file and pack; a pack gone from the store is
 * CHUNK_MISSING naming the first chunk and file that need it. Failures surface in file order, at
 * the chunk they concern.
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

  // Guarded by this: packs by first use, their remaining uses and their downloads.
  private final List<String> packOrder = new ArrayList<>();
  private final Map<String, Wanted> firstUse = new HashMap<>();
  private final Map<String, Integer> usesLeft = new HashMap<>();
  private final Map<String, CompletableFuture<Path>> packs = new LinkedHashMap<>();
  private int nextReadAhead;
  private int live;

  /** A chunk, verified, and (for a file of one chunk) the file's SHA-256 computed on the way. */
  public record Opened(byte[] data, String fileSha256) {}

  private record Wanted(String id, String file, boolean wholeFile) {}

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
    this.store = store;
    this.crypto = crypto;
    this.snapshot = snapshot;
    this.scratch = scratch;
    this.what = what;
    int fetching = Math.max(1, store.concurrency());
    this.window = 4 * Math.max(1, threads);
    this.packsAhead = fetching + 1;
    List<Wanted> wanted = new ArrayList<>();
    for (Snapshot.Node node : snapshot.files()) {
      for (String id : node.chunks()) {
        Wanted chunk = new Wanted(id, node.path(), node.chunks().size() == 1);
        wanted.add(chunk);
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
      CompletableFuture<Path> pack = pack(ref.pack());
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

  private Opened open(Wanted chunk, ChunkRef ref, CompletableFuture<Path> pack) throws IOException {
    Path local;
    try {
      local = pack.join();
    } catch (CompletionException e) {
      throw rethrown(e.getCause());
    }
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
    release(ref.pack());
    byte[] plain = crypto.open(chunk.id(), stored);
    if (plain == null) {
      throw corrupt(chunk, ref, "it does not authenticate or does not match its id");
    }
    String sha256 = null;
    if (chunk.wholeFile()) {
      MessageDigest digest = Digests.sha256();
      digest.update(plain);
      sha256 = Digests.hex(digest);
    }
    return new Opened(plain, sha256);
  }

  private synchronized CompletableFuture<Path> pack(String key) {
    CompletableFuture<Path> download = packs.get(key);
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

  private CompletableFuture<Path> start(String key) {
    live++;
    Wanted first = firstUse.get(key);
    CompletableFuture<Path> download =
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

  /** One use of {@code key} done: the last one deletes the pack and lets read-ahead go on. */
  private synchronized void release(String key) throws IOException {
    if (usesLeft.merge(key, -1, Integer::sum) > 0) {
      return;
    }
    CompletableFuture<Path> done = packs.get(key);
    if (done != null && done.isDone() && !done.isCompletedExceptionally()) {
      Files.deleteIfExists(done.join());
    }
    live--;
    readAhead();
  }

  private Path download(String key, Wanted first) throws IOException {
    if (store.head(key).isEmpty()) {
      throw ChunkReader.missing(what, store, key, first.id(), first.file());
    }
    int number = downloads.getAndIncrement();
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

  /** Stops the threads and deletes every pack still in the scratch directory. */
  @Override
  public void close() throws IOException {
    openers.shutdownNow();
    fetchers.shutdownNow();
    inFlight.forEach(chunk -> chunk.cancel(true));
    inFlight.clear();
    try {
      // A download still writing must not leave its file after the scratch is cleaned.
      fetchers.awaitTermination(30, TimeUnit.SECONDS);
      openers.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
