package dev.vigil.activities.cas;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A snapshot's tree as a tar stream, written by one thread from verified chunks while the reader
 * extracts it: a chunked backup restores through the same safe extractor, staging directory and
 * manifest checks as a tar backup, so path safety is decided in one place. Entry names are kept as
 * the snapshot has them (absolute or climbing ones included) for the extractor to refuse. A chunk
 * that fails verification ends the stream with that failure, never with a short file.
 */
public final class SnapshotTar {
  private static final int PIPE = 1 << 20;
  private static final byte[] SNAPSHOT_START =
      "{\"version\":".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private SnapshotTar() {}

  /** Whether {@code file} (an unsealed backup) is a chunked backup's snapshot. */
  public static boolean isSnapshot(java.nio.file.Path file) throws IOException {
    byte[] start = new byte[SNAPSHOT_START.length];
    try (InputStream in = java.nio.file.Files.newInputStream(file)) {
      return in.readNBytes(start, 0, start.length) == start.length
          && java.util.Arrays.equals(start, SNAPSHOT_START);
    }
  }

  /** The tar of {@code snapshot}; closing it stops the writer. */
  public static InputStream open(Snapshot snapshot, ChunkReader chunks) throws IOException {
    PipedInputStream in = new PipedInputStream(PIPE);
    PipedOutputStream out = new PipedOutputStream(in);
    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    Thread writer =
        new Thread(
            () -> {
              try {
                write(snapshot, chunks, out);
              } catch (VigilException e) {
                failure.set(e);
              } catch (IOException | RuntimeException e) {
                failure.compareAndSet(
                    null,
                    new VigilException(
                        ErrorType.RESTORE_FAILED,
                        "cannot read the chunks of the backup: " + e.getMessage(),
                        e));
              } finally {
                try {
                  out.close();
                } catch (IOException e) {
                  // The reader has gone; nothing waits for the rest.
                }
              }
            },
            "vigil-snapshot-tar");
    writer.setDaemon(true);
    writer.start();
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int read = guarded(super::read);
        return read;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return guarded(() -> super.read(b, off, len));
      }

      private int guarded(IoRead read) throws IOException {
        int result;
        try {
          result = read.read();
        } catch (IOException e) {
          rethrow();
          throw e;
        }
        if (result < 0) {
          join();
          rethrow();
        }
        return result;
      }

      private void rethrow() {
        join();
        RuntimeException failed = failure.get();
        if (failed != null) {
          throw failed;
        }
      }

      private void join() {
        try {
          writer.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public void close() throws IOException {
        super.close();
        join();
      }
    };
  }

  private interface IoRead {
    int read() throws IOException;
  }

  private static void write(Snapshot snapshot, ChunkReader chunks, PipedOutputStream pipe)
      throws IOException {
    try (TarArchiveOutputStream tar =
        new TarArchiveOutputStream(new BufferedOutputStream(pipe, PIPE))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      tar.setAddPaxHeadersForNonAsciiNames(true);
      for (Snapshot.Node node : snapshot.files()) {
        TarArchiveEntry entry = entry(node);
        tar.putArchiveEntry(entry);
        if ("file".equals(node.type())) {
          long written = 0;
          for (String id : node.chunks()) {
            byte[] plain = chunks.read(id, node.path());
            if (written + plain.length > node.size()) {
              throw sizeMismatch(node);
            }
            tar.write(plain);
            written += plain.length;
          }
          if (written != node.size()) {
            throw sizeMismatch(node);
          }
        }
        tar.closeArchiveEntry();
      }
      tar.finish();
    }
  }

  /**
   * The tar entry of one snapshot node (name, type, mode, size, time, link target) as the safe
   * extractor checks it; OBJECT_CORRUPT for a type the snapshot cannot hold.
   */
  public static TarArchiveEntry entry(Snapshot.Node node) {
    TarArchiveEntry entry;
    switch (node.type()) {
      case "dir" -> {
        entry = new TarArchiveEntry(node.path() + "/", true);
        entry.setMode(node.mode() | 040000);
      }
      case "symlink" -> {
        entry = new TarArchiveEntry(node.path(), TarArchiveEntry.LF_SYMLINK, true);
        entry.setLinkName(node.linkTarget());
        entry.setMode(node.mode() | 0120000);
      }
      case "file" -> {
        entry = new TarArchiveEntry(node.path(), true);
        entry.setSize(node.size());
        entry.setMode(node.mode() | 0100000);
      }
      default ->
          throw new VigilException(
              ErrorType.OBJECT_CORRUPT,
              "the snapshot lists " + node.path() + " as a '" + node.type() + "'");
    }
    entry.setModTime(node.mtimeMillis());
    return entry;
  }

  /** OBJECT_CORRUPT: a file's chunks do not add up to the size the snapshot gives it. */
  public static VigilException sizeMismatch(Snapshot.Node node) {
    return new VigilException(
        ErrorType.OBJECT_CORRUPT,
        "the snapshot's chunks of "
            + node.path()
            + " do not add up to its "
            + node.size()
            + " bytes");
  }
}
