package dev.vigil.activities.restore;

import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.SpoolErrors;
import dev.vigil.activities.common.VigilException;
import dev.vigil.activities.store.ObjectBody;
import dev.vigil.activities.store.ObjectStore;
import dev.vigil.activities.store.StoredObject;
import dev.vigil.workflows.common.ErrorType;
import dev.vigil.workflows.restore.DownloadProgress;
import dev.vigil.workflows.restore.DownloadResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Downloads a stored object into a spool file, hashing every byte. An attempt that follows a crash
 * resumes: the prefix the earlier attempt wrote (up to its last heartbeat) is re-hashed from disk
 * and the rest comes with ranged GETs, so a large object is not fetched twice. A store that moves
 * several ranges at once ({@link ObjectStore#concurrency()}) gets that many 8 MiB ranges in flight.
 */
public final class BackupDownloader {
  private static final int BUFFER = 1 << 20;
  private static final long REPORT_EVERY = 64L * BUFFER;

  /** One ranged GET of a parallel download. */
  static final long RANGE = 8L << 20;

  /**
   * Downloads {@code key} into {@code file}.
   *
   * @param resumeFrom an earlier attempt's last heartbeat, or null
   * @param progress receives the bytes safely on disk (a heartbeat); if it throws, the download
   *     stops
   */
  public DownloadResult download(
      ObjectStore store,
      String key,
      Path file,
      long expectedBytes,
      DownloadProgress resumeFrom,
      Consumer<DownloadProgress> progress) {
    return download(store, key, file, expectedBytes, resumeFrom, progress, bytes -> {});
  }

  /**
   * As {@link #download(ObjectStore, String, Path, long, DownloadProgress, Consumer)}, {@code
   * written} getting the length of the file's prefix that is written and hashed so far (in order,
   * whatever order ranges finish in), e.g. for a reader that decrypts the file as it arrives. It
   * first gets the prefix an attempt resumes from.
   */
  public DownloadResult download(
      ObjectStore store,
      String key,
      Path file,
      long expectedBytes,
      DownloadProgress resumeFrom,
      Consumer<DownloadProgress> progress,
      LongConsumer written) {
    MessageDigest sha256 = Digests.sha256();
    long offset = 0;
    if (expectedBytes >= 0) {
      // A copy of another size is damaged or replaced: no retry can fix it, so say so at once.
      StoredObject head = store.head(key).orElse(null);
      if (head != null && head.size() != expectedBytes) {
        throw sizeMismatch(store, key, expectedBytes, head.size(), "nothing was downloaded");
      }
    }
    try {
      Files.createDirectories(file.getParent());
      if (resumeFrom != null
          && key.equals(resumeFrom.objectKey())
          && resumeFrom.bytesDone() > 0
          && Files.isRegularFile(file)
          && Files.size(file) >= resumeFrom.bytesDone()) {
        offset = resumeFrom.bytesDone();
        hashPrefix(file, offset, sha256);
      }
      written.accept(offset);
      try (FileChannel out =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
        // Whatever an attempt wrote after its last heartbeat is not trusted: it is fetched again.
        out.truncate(offset);
        out.position(offset);
        long done = offset;
        int concurrency = Math.max(1, store.concurrency());
        if (expectedBytes >= 0 && concurrency > 1 && expectedBytes - offset > RANGE) {
          done =
              copyRanges(
                  store, key, offset, expectedBytes, out, sha256, progress, written, concurrency);
        } else if (expectedBytes < 0 || offset < expectedBytes) {
          done = copy(store, key, offset, expectedBytes, out, sha256, progress, written);
        }
        out.force(false);
        progress.accept(new DownloadProgress(key, done, Math.max(expectedBytes, 0)));
        return new DownloadResult(file.toString(), done, Digests.hex(sha256), offset);
      }
    } catch (IOException e) {
      throw SpoolErrors.translate(
          e,
          file.getParent(),
          "download",
          new VigilException(
              ErrorType.SPOOL_MISSING,
              "download: cannot write spool file " + file + ": " + e.getMessage(),
              e));
    }
  }

  /**
   * Copies from {@code offset} on. With a known size ({@code expectedBytes >= 0}) the object is
   * read with a ranged GET whose response says how large the store holds it: another size, or a
   * body that ends early exactly where the store says the object ends, is OBJECT_CORRUPT; a body
   * that breaks off anywhere else is an outage (REPOSITORY_UNAVAILABLE) and is retried.
   */
  private static long copy(
      ObjectStore store,
      String key,
      long offset,
      long expectedBytes,
      FileChannel out,
      MessageDigest sha256,
      Consumer<DownloadProgress> progress,
      LongConsumer written)
      throws IOException {
    long totalBytes = Math.max(expectedBytes, 0);
    long done = offset;
    long reported = offset;
    byte[] buffer = new byte[BUFFER];
    ObjectBody body =
        expectedBytes < 0 ? new ObjectBody(store.open(key, offset), -1) : store.read(key, offset);
    long storeSize = body.objectSize();
    try (InputStream in = body.stream()) {
      if (expectedBytes >= 0 && storeSize >= 0 && storeSize != expectedBytes) {
        throw sizeMismatch(store, key, expectedBytes, storeSize, "the rest was not downloaded");
      }
      int read;
      while (true) {
        try {
          read = in.read(buffer);
        } catch (IOException | UncheckedIOException e) {
          throw brokeOff(
              store, key, "broke off after " + done + " bytes (" + e.getMessage() + ")", e);
        }
        if (read < 0) {
          break;
        }
        ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, read);
        while (chunk.hasRemaining()) {
          out.write(chunk);
        }
        sha256.update(buffer, 0, read);
        done += read;
        written.accept(done);
        if (done - reported >= REPORT_EVERY) {
          // The heartbeat promises these bytes are on disk for the next attempt.
          out.force(false);
          progress.accept(new DownloadProgress(key, done, totalBytes));
          reported = done;
        }
      }
    }
    if (expectedBytes >= 0 && done < expectedBytes && storeSize < 0) {
      // A store that names no size ended the body: this is all it holds.
      throw sizeMismatch(store, key, expectedBytes, done, "nothing of it was restored");
    }
    if (expectedBytes >= 0 && done < expectedBytes) {
      // The store ended the body cleanly before the size it reported: it did not serve it all.
      throw brokeOff(store, key, "ended after " + done + " of " + expectedBytes + " bytes", null);
    }
    return done;
  }

  /**
   * Copies from {@code offset} on with several ranged GETs at once, each written at its own
   * position of the spool file; the SHA-256 follows the unbroken prefix of finished ranges by
   * re-reading it from the file (the page cache), so the hash is in order whatever order the ranges
   * finish in. Heartbeats carry that prefix, so a retry resumes from it as with one GET. Memory:
   * one buffer per range in flight.
   */
  private static long copyRanges(
      ObjectStore store,
      String key,
      long offset,
      long expectedBytes,
      FileChannel out,
      MessageDigest sha256,
      Consumer<DownloadProgress> progress,
      LongConsumer written,
      int concurrency)
      throws IOException {
    int ranges = (int) ((expectedBytes - offset + RANGE - 1) / RANGE);
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.min(concurrency, ranges),
            task -> {
              Thread thread = new Thread(task, "vigil-download-range");
              thread.setDaemon(true);
              return thread;
            });
    CompletionService<Integer> completion = new ExecutorCompletionService<>(pool);
    boolean[] finished = new boolean[ranges];
    byte[] buffer = new byte[BUFFER];
    long hashed = offset;
    long reported = offset;
    int next = 0;
    int inFlight = 0;
    int prefix = 0;
    RuntimeException failure = null;
    try {
      while (inFlight > 0 || (failure == null && next < ranges)) {
        while (failure == null && inFlight < concurrency && next < ranges) {
          int index = next++;
          long start = offset + (long) index * RANGE;
          long length = Math.min(RANGE, expectedBytes - start);
          completion.submit(
              () -> {
                fetchRange(store, key, start, length, expectedBytes, out);
                return index;
              });
          inFlight++;
        }
        Future<Integer> done = completion.take();
        inFlight--;
        try {
          finished[done.get()] = true;
        } catch (ExecutionException e) {
          if (failure == null) {
            failure =
                e.getCause() instanceof RuntimeException runtime
                    ? runtime
                    : brokeOff(store, key, "failed (" + e.getCause().getMessage() + ")", e);
          }
          continue;
        }
        while (prefix < ranges && finished[prefix]) {
          prefix++;
        }
        long contiguous = Math.min(expectedBytes, offset + (long) prefix * RANGE);
        hashed = hashRange(out, hashed, contiguous, sha256, buffer);
        written.accept(hashed);
        if (failure == null && contiguous - reported >= REPORT_EVERY) {
          // The heartbeat promises these bytes are on disk for the next attempt.
          out.force(false);
          try {
            progress.accept(new DownloadProgress(key, contiguous, expectedBytes));
          } catch (RuntimeException e) {
            failure = e;
          }
          reported = contiguous;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = brokeOff(store, key, "was interrupted", e);
    } finally {
      pool.shutdownNow();
    }
    if (failure != null) {
      throw failure;
    }
    return hashed;
  }

  /** Writes bytes [start, start + length) of the object at the same place in the file. */
  private static void fetchRange(
      ObjectStore store, String key, long start, long length, long expectedBytes, FileChannel out)
      throws IOException {
    ObjectBody body = store.read(key, start, length);
    long storeSize = body.objectSize();
    byte[] buffer = new byte[BUFFER];
    long position = start;
    long end = start + length;
    try (InputStream in = body.stream()) {
      if (storeSize >= 0 && storeSize != expectedBytes) {
        throw sizeMismatch(store, key, expectedBytes, storeSize, "the rest was not downloaded");
      }
      while (position < end) {
        int read;
        try {
          read = in.read(buffer, 0, (int) Math.min(buffer.length, end - position));
        } catch (IOException | UncheckedIOException e) {
          throw brokeOff(
              store, key, "broke off at byte " + position + " (" + e.getMessage() + ")", e);
        }
        if (read < 0) {
          if (storeSize < 0) {
            throw sizeMismatch(store, key, expectedBytes, position, "nothing of it was restored");
          }
          throw brokeOff(
              store, key, "ended after " + position + " of " + expectedBytes + " bytes", null);
        }
        ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, read);
        long at = position;
        while (chunk.hasRemaining()) {
          at += out.write(chunk, at);
        }
        position += read;
      }
    }
  }

  /** Hashes the file's bytes [from, to) and returns {@code to}. */
  private static long hashRange(
      FileChannel file, long from, long to, MessageDigest sha256, byte[] buffer)
      throws IOException {
    long position = from;
    while (position < to) {
      int read =
          file.read(
              ByteBuffer.wrap(buffer, 0, (int) Math.min(buffer.length, to - position)), position);
      if (read < 0) {
        throw new IOException("spool file shrank while it was hashed");
      }
      sha256.update(buffer, 0, read);
      position += read;
    }
    return to;
  }

  /** An outage: the next attempt resumes from the last heartbeat's offset. */
  private static VigilException brokeOff(
      ObjectStore store, String key, String what, Throwable cause) {
    return new VigilException(
        ErrorType.REPOSITORY_UNAVAILABLE,
        "download of object '"
            + key
            + "' in bucket '"
            + store.bucket()
            + "' "
            + what
            + "; it resumes from the last saved offset",
        cause);
  }

  private static VigilException sizeMismatch(
      ObjectStore store, String key, long expected, long actual, String outcome) {
    return new VigilException(
        ErrorType.OBJECT_CORRUPT,
        "repository '"
            + store.repository()
            + "': object '"
            + key
            + "' in bucket '"
            + store.bucket()
            + "' is "
            + actual
            + " bytes but the catalog recorded "
            + expected
            + " (truncated or replaced: a broken disk or tampering); "
            + outcome
            + ", restore another backup");
  }

  private static void hashPrefix(Path file, long length, MessageDigest sha256) throws IOException {
    byte[] buffer = new byte[BUFFER];
    long remaining = length;
    try (InputStream in = Files.newInputStream(file)) {
      while (remaining > 0) {
        int read = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
        if (read < 0) {
          throw new IOException("spool file " + file + " shrank while it was re-hashed");
        }
        sha256.update(buffer, 0, read);
        remaining -= read;
      }
    }
  }
}
