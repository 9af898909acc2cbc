package dev.vigil.activities.store;

import dev.vigil.activities.common.Crc64Nvme;
import dev.vigil.workflows.backup.UploadProgress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link GrowingUpload} on S3: the parts go through the same requests, part size and per-part
 * CRC64NVME as {@link S3ObjectStore#uploadFile}, so the upload step's ListParts finds them as its
 * own and compares their CRCs with the ones it computes from the sealed file. Up to the
 * repository's {@code upload-concurrency} parts are in flight, each streamed from its range of the
 * file (one 1 MiB buffer per part for its CRC, no part held in memory).
 */
final class S3GrowingUpload implements GrowingUpload {
  private static final Logger log = LoggerFactory.getLogger(S3GrowingUpload.class);
  private static final int BUFFER = 1 << 20;

  private final S3ObjectStore store;
  private final Path file;
  private final String key;
  private final Supplier<ObjectAttributes> attributes;
  private final Consumer<UploadProgress> onStarted;
  private final long partSize;
  private final boolean checksums;
  private final WrittenChecksums.Recorder written;
  private final ExecutorService pool;

  /** Part n is {@code parts.get(n - 1)}; touched by the writing thread only. */
  private final List<Future<Void>> parts = new ArrayList<>();

  private final Object lock = new Object();

  /** Set under {@link #lock}: once stopped, no upload is created any more. */
  private boolean stopped;

  private String uploadId;

  S3GrowingUpload(
      S3ObjectStore store,
      Path file,
      String key,
      Supplier<ObjectAttributes> attributes,
      Consumer<UploadProgress> onStarted,
      long partSize,
      int concurrency,
      boolean checksums,
      WrittenChecksums.Recorder written) {
    this.store = store;
    this.file = file;
    this.key = key;
    this.attributes = attributes;
    this.onStarted = onStarted;
    this.partSize = partSize;
    this.checksums = checksums;
    this.written = written;
    this.pool = Executors.newFixedThreadPool(concurrency, S3GrowingUpload::thread);
  }

  @Override
  public void written(long bytes) {
    while (!isStopped() && (parts.size() + 1L) * partSize <= bytes) {
      if (parts.size() >= S3ObjectStore.MAX_PARTS - 1) {
        // The file outgrows what this part size can hold; the upload step picks a larger one.
        giveUp("the file needs more than " + S3ObjectStore.MAX_PARTS + " parts of " + partSize);
        return;
      }
      submit(parts.size() + 1, partSize);
    }
  }

  @Override
  public Optional<UploadProgress> finish(long size, Runnable whileWaiting) {
    if (isStopped() || parts.isEmpty()) {
      abort();
      return Optional.empty();
    }
    long partCount = (size + partSize - 1) / partSize;
    if (partCount > S3ObjectStore.MAX_PARTS) {
      giveUp("the file needs " + partCount + " parts of " + partSize);
      return Optional.empty();
    }
    while (parts.size() < partCount) {
      long offset = parts.size() * partSize;
      submit(parts.size() + 1, Math.min(partSize, size - offset));
    }
    try {
      PartFutures.awaitAll(parts, whileWaiting);
    } catch (ExecutionException e) {
      giveUp("a part failed: " + e.getCause().getMessage());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort();
      return Optional.empty();
    } catch (RuntimeException e) {
      abort();
      throw e;
    }
    pool.shutdown();
    String id;
    synchronized (lock) {
      id = uploadId;
    }
    return Optional.of(new UploadProgress(key, id, partSize, (int) partCount, size, size));
  }

  @Override
  public void abort() {
    synchronized (lock) {
      stopped = true;
    }
    pool.shutdownNow();
    try {
      if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
        log.warn("parts of the early upload of {} still in flight after 60 s", key);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String id;
    synchronized (lock) {
      id = uploadId;
    }
    if (id != null) {
      store.abortQuietly(key, id);
    }
  }

  private void giveUp(String why) {
    log.warn("upload of {} while dumping given up ({}); the upload step sends the file", key, why);
    abort();
  }

  private boolean isStopped() {
    synchronized (lock) {
      return stopped;
    }
  }

  private void submit(int number, long length) {
    // The CRC of the bytes as they were written, taken on the writing thread; without them, the
    // part's thread reads its range back to take it.
    Long crc = checksums && written != null ? written.crc((number - 1) * partSize, length) : null;
    parts.add(pool.submit(() -> send(number, length, crc)));
  }

  private Void send(int number, long length, Long written) {
    String id = started();
    long offset = (number - 1) * partSize;
    String crc =
        !checksums ? null : Crc64Nvme.base64(written != null ? written : crc(offset, length));
    store.uploadRegion(file, key, id, number, offset, length, crc);
    return null;
  }

  /** The upload id, made by the first part that needs it. */
  private String started() {
    synchronized (lock) {
      if (stopped) {
        throw new IllegalStateException("the early upload of " + key + " was stopped");
      }
      if (uploadId == null) {
        // What an earlier, killed attempt left of this key can never be completed.
        store.abortOpenUploads(key);
        uploadId = store.createUpload(key, attributes.get(), checksums);
        onStarted.accept(new UploadProgress(key, uploadId, partSize, 0, 0, 0));
      }
      return uploadId;
    }
  }

  private long crc(long offset, long length) {
    try {
      return SpoolFiles.crcOf(file, offset, length);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read spool file " + file + ": " + e.getMessage(), e);
    }
  }

  private static Thread thread(Runnable task) {
    Thread thread = new Thread(task, "vigil-dump-upload");
    thread.setDaemon(true);
    return thread;
  }
}
