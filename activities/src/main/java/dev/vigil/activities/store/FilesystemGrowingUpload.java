package dev.vigil.activities.store;

import dev.vigil.workflows.backup.UploadProgress;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link GrowingUpload} into a filesystem repository: one thread copies each complete part of the
 * sealed file into the upload's partial file ({@code <key>.vigil-partial-<id>}, never visible as
 * the object) and fsyncs it, while the dump writes the next. The upload step then resumes that
 * upload as it resumes one from a heartbeat: it hashes the parts written here, appends the short
 * last part and publishes the object. On a local disk the copy and its fsync overlap the dump; on
 * an NFS mount, the network transfer does.
 *
 * <p>Only whole parts are copied here: {@link #finish} reports the full parts as done, so the
 * upload step's resume, which trusts a partial file only up to {@code partsDone × partSize}, takes
 * every byte of them.
 */
final class FilesystemGrowingUpload implements GrowingUpload {
  private static final Logger log = LoggerFactory.getLogger(FilesystemGrowingUpload.class);

  private final FilesystemObjectStore store;
  private final Path file;
  private final String key;
  private final Consumer<UploadProgress> onStarted;
  private final long partSize;
  private final ExecutorService copier =
      Executors.newSingleThreadExecutor(
          task -> {
            Thread thread = new Thread(task, "vigil-dump-copy");
            thread.setDaemon(true);
            return thread;
          });

  /** Part n is {@code parts.get(n - 1)}; touched by the writing thread only. */
  private final List<Future<Void>> parts = new ArrayList<>();

  private final Object lock = new Object();

  /** Under {@link #lock}: once stopped, no partial file is created any more. */
  private boolean stopped;

  private String uploadId;

  /** The partial file, open from the first part to {@link #finish}; the copier's only. */
  private FileChannel out;

  private FileChannel in;

  FilesystemGrowingUpload(
      FilesystemObjectStore store,
      Path file,
      String key,
      Consumer<UploadProgress> onStarted,
      long partSize) {
    this.store = store;
    this.file = file;
    this.key = key;
    this.onStarted = onStarted;
    this.partSize = partSize;
  }

  @Override
  public void written(long bytes) {
    while (!isStopped() && (parts.size() + 1L) * partSize <= bytes) {
      int number = parts.size() + 1;
      parts.add(copier.submit(() -> copy(number)));
    }
  }

  @Override
  public Optional<UploadProgress> finish(long size, Runnable whileWaiting) {
    written(size);
    if (isStopped() || parts.isEmpty()) {
      abort();
      return Optional.empty();
    }
    try {
      PartFutures.awaitAll(parts, whileWaiting);
      copier.submit(this::closeFiles).get();
    } catch (ExecutionException e) {
      log.warn(
          "copy of {} while dumping given up ({}); the upload step writes the file",
          key,
          e.getCause().getMessage());
      abort();
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abort();
      return Optional.empty();
    } catch (RuntimeException e) {
      abort();
      throw e;
    }
    copier.shutdown();
    String id;
    synchronized (lock) {
      id = uploadId;
    }
    long done = parts.size() * partSize;
    return Optional.of(new UploadProgress(key, id, partSize, parts.size(), done, size));
  }

  @Override
  public void abort() {
    synchronized (lock) {
      stopped = true;
    }
    copier.shutdownNow();
    try {
      if (!copier.awaitTermination(60, TimeUnit.SECONDS)) {
        log.warn("the copy of {} while dumping still runs after 60 s", key);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeFiles();
    String id;
    synchronized (lock) {
      id = uploadId;
    }
    if (id != null) {
      try {
        store.abortUpload(new OpenUpload(key, id));
      } catch (RuntimeException e) {
        log.warn("cannot remove the partial copy of {}: {}", key, e.getMessage());
      }
    }
  }

  private boolean isStopped() {
    synchronized (lock) {
      return stopped;
    }
  }

  /** Copies part {@code number} (whole, and in order: one copier thread) and fsyncs it. */
  private Void copy(int number) throws IOException {
    if (out == null) {
      String id;
      synchronized (lock) {
        if (stopped) {
          throw new IllegalStateException("the copy of " + key + " while dumping was stopped");
        }
        // What an earlier, killed attempt left of this key is removed first.
        id = UUID.randomUUID().toString();
        Path partial = store.startPartial(key, id);
        in = FileChannel.open(file, StandardOpenOption.READ);
        out = FileChannel.open(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        uploadId = id;
      }
      onStarted.accept(new UploadProgress(key, uploadId, partSize, 0, 0, 0));
    }
    long offset = (number - 1) * partSize;
    FilesystemObjectStore.copyRegion(in, out, offset, partSize, null, null);
    // Durable before the upload step may trust it; the step fsyncs again before it publishes.
    out.force(true);
    return null;
  }

  private Void closeFiles() {
    for (FileChannel channel : new FileChannel[] {in, out}) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException e) {
          log.debug("closing a file of the copy of {}: {}", key, e.getMessage());
        }
      }
    }
    return null;
  }
}
