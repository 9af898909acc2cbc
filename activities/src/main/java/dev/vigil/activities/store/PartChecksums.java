package dev.vigil.activities.store;

import dev.vigil.activities.common.Crc64Nvme;
import dev.vigil.activities.common.Digests;
import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The CRC64NVME of every part of a file and of the whole file, from one sequential read on a thread
 * of its own that runs ahead of the parallel part uploads (a part waits only for its own CRC). When
 * the file's SHA-256 is known (a sealed file), the same read hashes it, so the full-object checksum
 * the store checks stands for the sealed bytes: a spool file changed since it was sealed is refused
 * before the upload completes. One 1 MiB buffer, whatever the file's size.
 */
final class PartChecksums implements AutoCloseable {
  private static final int BUFFER = 1 << 20;

  private final Path file;
  private final long size;
  private final long partSize;
  private final String expectedSha256;
  private final String key;
  private final CompletableFuture<Long>[] parts;
  private final CompletableFuture<Long> whole = new CompletableFuture<>();
  private boolean written;
  private final Thread reader;
  private volatile boolean closed;

  @SuppressWarnings("unchecked")
  private PartChecksums(Path file, long size, long partSize, String expectedSha256, String key) {
    this.file = file;
    this.size = size;
    this.partSize = partSize;
    this.expectedSha256 = expectedSha256;
    this.key = key;
    int count = (int) ((size + partSize - 1) / partSize);
    this.parts = new CompletableFuture[count];
    for (int i = 0; i < count; i++) {
      parts[i] = new CompletableFuture<>();
    }
    this.reader = new Thread(this::read, "vigil-checksums");
    reader.setDaemon(true);
  }

  /**
   * Starts reading {@code file} ({@code size} bytes in parts of {@code partSize}).
   *
   * @param expectedSha256 hex SHA-256 the file must have, or null to skip that check
   */
  static PartChecksums start(
      Path file, long size, long partSize, String expectedSha256, String key) {
    PartChecksums checksums = new PartChecksums(file, size, partSize, expectedSha256, key);
    checksums.reader.start();
    return checksums;
  }

  /**
   * The checksums of parts of {@code partSize} from those taken while the file was written (no
   * read); {@code partSize} must be one {@code written} {@linkplain WrittenChecksums#fits fits}.
   */
  static PartChecksums written(Path file, WrittenChecksums written, long partSize, String key) {
    PartChecksums checksums = new PartChecksums(file, written.size(), partSize, null, key);
    for (int index = 0; index < checksums.parts.length; index++) {
      long offset = index * partSize;
      checksums.parts[index].complete(
          written.crc(offset, Math.min(partSize, written.size() - offset)));
    }
    checksums.whole.complete(written.whole());
    checksums.written = true;
    return checksums;
  }

  /**
   * Whether these CRCs were taken while the file was written, not read from it now: a part the
   * store refuses may then have changed on disk since.
   */
  boolean fromWrites() {
    return written;
  }

  /** The CRC64NVME of part {@code number} (from 1), waiting until the read has passed it. */
  long part(int number) {
    return await(parts[number - 1]);
  }

  /**
   * The CRC64NVME of the whole file, once it has all been read; fails with SPOOL_MISSING if its
   * SHA-256 is not the one expected.
   */
  long whole() {
    return await(whole);
  }

  private long await(CompletableFuture<Long> value) {
    try {
      return value.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VigilException(
          ErrorType.REPOSITORY_UNAVAILABLE, "upload of '" + key + "' was interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException failure) {
        throw failure;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private void read() {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      MessageDigest sha256 = expectedSha256 == null ? null : Digests.sha256();
      byte[] buffer = new byte[BUFFER];
      long full = 0;
      long position = 0;
      for (int index = 0; index < parts.length && !closed; index++) {
        long end = Math.min(size, position + partSize);
        Crc64Nvme crc = new Crc64Nvme();
        while (position < end) {
          int wanted = (int) Math.min(buffer.length, end - position);
          int read = channel.read(ByteBuffer.wrap(buffer, 0, wanted), position);
          if (read < 0) {
            throw SpoolFiles.spoolChangedFailure(file, key);
          }
          crc.update(buffer, 0, read);
          if (sha256 != null) {
            sha256.update(buffer, 0, read);
          }
          position += read;
        }
        long partLength = end - (long) index * partSize;
        full = Crc64Nvme.combine(full, crc.value(), partLength);
        parts[index].complete(crc.value());
      }
      if (closed) {
        return;
      }
      if (sha256 != null && !Digests.hex(sha256).equals(expectedSha256)) {
        throw new VigilException(
            ErrorType.SPOOL_MISSING,
            "spool file "
                + file
                + " no longer has the SHA-256 it was sealed with; it changed on disk before it"
                + " was uploaded to '"
                + key
                + "', so the backup must be dumped again");
      }
      whole.complete(full);
    } catch (IOException e) {
      fail(new UncheckedIOException("cannot read spool file " + file + ": " + e.getMessage(), e));
    } catch (RuntimeException e) {
      fail(e);
    }
  }

  private void fail(RuntimeException failure) {
    for (CompletableFuture<Long> part : parts) {
      part.completeExceptionally(failure);
    }
    whole.completeExceptionally(failure);
  }

  /** Stops the read early (the upload failed); waiting callers are released. */
  @Override
  public void close() {
    closed = true;
    fail(new IllegalStateException("the checksums of " + file + " are no longer read"));
  }
}
