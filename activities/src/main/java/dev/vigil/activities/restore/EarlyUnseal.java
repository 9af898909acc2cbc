package dev.vigil.activities.restore;

import dev.vigil.activities.crypto.ParallelUnsealer;
import dev.vigil.activities.crypto.Sealer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decrypts a sealed spool file while the download step is still writing it, into {@code
 * <plain>.early}, so the decrypt step finds the plaintext ready instead of making a second pass. It
 * reads only the prefix the downloader has written and hashed, in order. The result is used only by
 * the decrypt step, after the verify step matched the download's SHA-256 with the catalog, and only
 * if {@code <plain>.early.done} names that SHA-256 (written once the whole stream authenticated);
 * anything else (a failed or interrupted attempt, a retried download, a worker that died) leaves no
 * {@code .done}, and the decrypt step decrypts the sealed file as before.
 */
final class EarlyUnseal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EarlyUnseal.class);
  private static final int BUFFER = 1 << 20;

  private final Path early;
  private final Path done;
  private final GrowingFile sealed;
  private final CompletableFuture<Long> unsealed;

  private EarlyUnseal(Path early, Path done, GrowingFile sealed, CompletableFuture<Long> unsealed) {
    this.early = early;
    this.done = done;
    this.sealed = sealed;
    this.unsealed = unsealed;
  }

  /** The early plaintext of {@code plain}. */
  static Path earlyFile(Path plain) {
    return plain.resolveSibling(plain.getFileName() + ".early");
  }

  /** What marks {@link #earlyFile} complete: {@code <sealed sha256> <plaintext bytes>}. */
  static Path doneFile(Path plain) {
    return plain.resolveSibling(plain.getFileName() + ".early.done");
  }

  /**
   * Starts decrypting {@code sealedFile} (being downloaded) into the early file of {@code plain};
   * an earlier attempt's early files are removed first.
   */
  static EarlyUnseal start(Sealer sealer, Path sealedFile, Path plain, String aead)
      throws IOException {
    return start(sealer, sealedFile, plain, aead, null);
  }

  /**
   * As {@link #start(Sealer, Path, Path, String)}, and every authenticated byte also goes, in
   * order, to {@code alsoTo} (if not null), which is closed when the decryption ends or stops. A
   * thread of its own reads it back from the early file behind the decryption (the page cache, in
   * practice), so a slow reader of {@code alsoTo} never holds the decryption back and the
   * decryption never waits on it: the two run side by side, with flat memory.
   */
  static EarlyUnseal start(
      Sealer sealer, Path sealedFile, Path plain, String aead, OutputStream alsoTo)
      throws IOException {
    Path early = earlyFile(plain);
    Path done = doneFile(plain);
    Files.deleteIfExists(done);
    Files.deleteIfExists(early);
    Files.createFile(early);
    GrowingFile growing = new GrowingFile(FileChannel.open(sealedFile));
    GrowingFile written = alsoTo == null ? null : new GrowingFile(FileChannel.open(early));
    CompletableFuture<Long> unsealed = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              long raw;
              try (InputStream in = growing;
                  OutputStream out =
                      new BufferedOutputStream(
                          new Counting(Files.newOutputStream(early), written), BUFFER)) {
                raw = new ParallelUnsealer(sealer).unseal(in, out, aead);
              } catch (Throwable e) {
                if (written != null) {
                  written.abort();
                }
                unsealed.completeExceptionally(e);
                return;
              }
              if (written != null) {
                written.complete();
              }
              // Only once the file is flushed and closed: its size is then the plaintext's.
              unsealed.complete(raw);
            },
            "vigil-early-unseal");
    thread.setDaemon(true);
    thread.start();
    if (written != null) {
      Thread feeder = new Thread(() -> feed(written, alsoTo), "vigil-early-unseal-feed");
      feeder.setDaemon(true);
      feeder.start();
    }
    return new EarlyUnseal(early, done, growing, unsealed);
  }

  /** Copies the early file, as it grows, to {@code out}, and closes both. */
  private static void feed(GrowingFile written, OutputStream out) {
    byte[] buffer = new byte[BUFFER];
    try (InputStream in = written;
        out) {
      int read;
      while ((read = in.read(buffer)) >= 0) {
        out.write(buffer, 0, read);
      }
    } catch (IOException e) {
      // The decryption stopped (its caller reports why); out is closed, its reader ends.
    }
  }

  /** The downloader wrote and hashed the file's first {@code bytes}. */
  void written(long bytes) {
    sealed.grew(bytes);
  }

  /**
   * The download finished with {@code sha256}: waits for the decryption to reach the end (calling
   * {@code waiting} every few seconds, a heartbeat) and marks the early file complete; returns
   * whether it did (the whole stream authenticated). A decryption that failed is only logged: the
   * decrypt step then decrypts the sealed file and reports the failure as it always has.
   */
  boolean finish(String sha256, Runnable waiting) throws IOException {
    sealed.complete();
    while (true) {
      try {
        long raw = unsealed.get(5, TimeUnit.SECONDS);
        Files.writeString(done, sha256 + " " + raw + "\n");
        return true;
      } catch (TimeoutException e) {
        waiting.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (ExecutionException e) {
        log.info(
            "decrypting {} during its download stopped ({}); the decrypt step does it",
            early,
            e.getCause().getMessage());
        Files.deleteIfExists(early);
        return false;
      }
    }
  }

  /** Stops a decryption that is still running (a failed download) and removes what it wrote. */
  @Override
  public void close() throws IOException {
    if (!unsealed.isDone()) {
      sealed.abort();
      try {
        unsealed.get(30, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // Expected: it was stopped.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (!Files.exists(done)) {
      Files.deleteIfExists(early);
    }
  }

  /**
   * The early plaintext of {@code plain} with its size, if an early decryption of the download
   * whose SHA-256 is {@code sha256} completed.
   */
  static Optional<Long> completed(Path plain, String sha256) {
    try {
      Path done = doneFile(plain);
      if (!Files.isRegularFile(done) || !Files.isRegularFile(earlyFile(plain))) {
        return Optional.empty();
      }
      List<String> fields = List.of(Files.readString(done).strip().split(" "));
      if (fields.size() != 2 || !fields.get(0).equals(sha256)) {
        return Optional.empty();
      }
      long raw = Long.parseLong(fields.get(1));
      return Files.size(earlyFile(plain)) == raw ? Optional.of(raw) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Tells {@code written} (if not null) how many bytes reached the file after each write. */
  private static final class Counting extends OutputStream {
    private final OutputStream out;
    private final GrowingFile written;
    private long count;

    Counting(OutputStream out, GrowingFile written) {
      this.out = out;
      this.written = written;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
      if (written != null) {
        written.grew(count);
      }
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }

  /** A file being written front to back: reads wait for bytes the writer has not yet written. */
  private static final class GrowingFile extends InputStream {
    private final FileChannel channel;
    private long position;
    private long available;
    private boolean complete;
    private boolean aborted;

    GrowingFile(FileChannel channel) {
      this.channel = channel;
    }

    synchronized void grew(long bytes) {
      available = Math.max(available, bytes);
      notifyAll();
    }

    synchronized void complete() {
      complete = true;
      notifyAll();
    }

    synchronized void abort() {
      aborted = true;
      notifyAll();
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int read = read(one, 0, 1);
      return read < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      if (length == 0) {
        return 0;
      }
      long until;
      synchronized (this) {
        while (position >= available && !complete && !aborted) {
          try {
            wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the download");
          }
        }
        if (aborted) {
          throw new IOException("the download stopped");
        }
        if (position >= available) {
          return -1;
        }
        until = available;
      }
      int read =
          channel.read(
              ByteBuffer.wrap(buffer, offset, (int) Math.min(length, until - position)), position);
      if (read < 0) {
        throw new IOException("the spool file is shorter than the download wrote");
      }
      position += read;
      return read;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
