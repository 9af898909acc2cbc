package dev.vigil.activities.cas;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Hashes, compresses and encrypts chunks on several threads and hands them to a sink on the
 * caller's thread in the order they were added, so packs, offsets and the snapshot come out as a
 * single thread would write them. At most {@code 2 x threads} chunks are in flight (each holds its
 * plaintext and its sealed form, up to twice {@code ChunkedDumper.CHUNK_SIZE}); adding one more
 * waits for the oldest. A chunk the source's index already holds is hashed but not sealed.
 */
public final class ChunkSealer implements AutoCloseable {
  /** A chunk in order: its id, its stored form (null when the index holds it), its file's list. */
  public record Sealed(String id, byte[] sealed, List<String> file) {}

  /** Receives the chunks in the order they were added. */
  public interface Sink {
    void accept(Sealed chunk) throws IOException;
  }

  private final ChunkCrypto crypto;
  private final Map<String, ChunkRef> known;
  private final Sink sink;
  private final int window;
  private final ExecutorService pool;
  private final Deque<Future<Sealed>> pending = new ArrayDeque<>();
  private CompletableFuture<Boolean> fileMode;

  /** {@code known} is only read, from several threads: it must not change while this runs. */
  public ChunkSealer(ChunkCrypto crypto, Map<String, ChunkRef> known, int threads, Sink sink) {
    this.crypto = crypto;
    this.known = known;
    this.sink = sink;
    this.window = 2 * Math.max(1, threads);
    // First in, first out: a chunk waiting for its file's first chunk never waits on a queued one.
    this.pool =
        Executors.newFixedThreadPool(
            Math.max(1, threads),
            runnable -> {
              Thread thread = new Thread(runnable, "vigil-chunk-seal");
              thread.setDaemon(true);
              return thread;
            });
  }

  /** The next chunk starts a new file: its first chunk decides compression for all of it. */
  public void startFile() {
    fileMode = null;
  }

  /** Adds the next chunk of the current file; the sink gets it back with {@code file}. */
  public void add(byte[] data, List<String> file) throws IOException {
    while (pending.size() >= window) {
      drainOne();
    }
    boolean first = fileMode == null;
    if (first) {
      fileMode = new CompletableFuture<>();
    }
    CompletableFuture<Boolean> mode = fileMode;
    pending.add(
        pool.submit(
            () -> {
              String id = crypto.id(data, data.length);
              boolean compress;
              byte[] compressed = null;
              if (first) {
                try {
                  compressed = ChunkCrypto.compressedIfSmaller(data, data.length);
                } catch (RuntimeException | Error e) {
                  mode.completeExceptionally(e);
                  throw e;
                }
                compress = compressed != null;
                mode.complete(compress);
              } else {
                compress = mode.join();
              }
              byte[] sealed;
              if (known.containsKey(id)) {
                sealed = null;
              } else if (compressed != null) {
                // The decision's zstd output is the chunk's body: not compressed twice.
                sealed = crypto.sealCompressed(id, data.length, compressed);
              } else {
                sealed = crypto.seal(id, data, data.length, compress);
              }
              return new Sealed(id, sealed, file);
            }));
  }

  /** Hands every chunk still in flight to the sink. */
  public void finish() throws IOException {
    while (!pending.isEmpty()) {
      drainOne();
    }
  }

  private void drainOne() throws IOException {
    Sealed chunk;
    try {
      chunk = pending.poll().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while chunks were sealed", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
        cause = cause.getCause();
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(cause);
    }
    sink.accept(chunk);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
