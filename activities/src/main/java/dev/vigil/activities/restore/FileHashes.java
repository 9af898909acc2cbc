package dev.vigil.activities.restore;

import dev.vigil.activities.common.Digests;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The SHA-256 of restored files, computed on a thread of its own while the restoring thread writes
 * the next bytes: hashing a large file took as long as writing it into the page cache, on the same
 * thread. Chunks are hashed in the order they are given (one thread, a FIFO queue of at most
 * {@value #QUEUED} chunks; the writer waits when it is full), and files are checked in the order
 * they were ended, so the first file that differs from the manifest is the one reported, as before.
 */
final class FileHashes implements AutoCloseable {
  static final int QUEUED = 8;
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Checks a file's SHA-256 once it is known (throws if it differs from the manifest's). */
  interface Check {
    void matches(String sha256);
  }

  private record Ended(CompletableFuture<String> sha256, Check check) {}

  private final ThreadPoolExecutor hasher;
  private final Deque<Ended> ended = new ArrayDeque<>();

  FileHashes() {
    this.hasher =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUED),
            task -> {
              Thread thread = new Thread(task, "vigil-restore-hash-" + THREADS.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            },
            (task, pool) -> {
              // Full: wait for room rather than run it here, which would break the order.
              try {
                pool.getQueue().put(task);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RejectedExecutionException("interrupted while hashing restored files");
              }
            });
  }

  /** A file being hashed: add its bytes in order, then {@link #end} it. */
  final class File {
    private final MessageDigest digest = Digests.sha256();

    /**
     * Hashes {@code data[offset, offset + length)} after what was added before, then runs {@code
     * then} (the bytes may be reused after that).
     */
    void add(byte[] data, int offset, int length, Runnable then) {
      hasher.execute(
          () -> {
            digest.update(data, offset, length);
            then.run();
          });
    }

    /** No more bytes: {@code check} gets the SHA-256 in turn. */
    void end(Check check) throws InterruptedIOException {
      CompletableFuture<String> sha256 = new CompletableFuture<>();
      hasher.execute(() -> sha256.complete(Digests.hex(digest)));
      FileHashes.this.ended(sha256, check);
    }
  }

  File start() {
    return new File();
  }

  /** A file whose SHA-256 is known already (computed with its only chunk), checked in turn. */
  void known(String sha256, Check check) throws InterruptedIOException {
    ended(CompletableFuture.completedFuture(sha256), check);
  }

  private void ended(CompletableFuture<String> sha256, Check check) throws InterruptedIOException {
    ended.add(new Ended(sha256, check));
    checkEnded(false);
  }

  /** Checks every file ended so far, waiting for their hashes. */
  void checkAll() throws InterruptedIOException {
    checkEnded(true);
  }

  private void checkEnded(boolean wait) throws InterruptedIOException {
    while (!ended.isEmpty() && (wait || ended.peek().sha256().isDone())) {
      Ended next = ended.poll();
      String sha256;
      try {
        sha256 = next.sha256().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while hashing restored files");
      } catch (ExecutionException e) {
        throw new IllegalStateException("hashing a restored file failed", e.getCause());
      }
      next.check().matches(sha256);
    }
  }

  @Override
  public void close() {
    hasher.shutdownNow();
    try {
      hasher.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
