package dev.vigil.activities.source;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a tar back while it is written, on a thread of its own: the bytes going to the sealer are
 * parsed as a tar again and every entry must be the one the dumper announced before writing it
 * (path, type, size, order), and nothing more or less. What {@link DirectoryDumper#verify} checks
 * on a raw tar file, for a tar that never is one. Memory stays flat: a 1 MiB pipe, and the
 * announced entries the reader has not reached yet (at most those in the pipe).
 */
final class TarStreamCheck implements AutoCloseable {
  private static final int PIPE = 1 << 20;
  private static final Expected END = new Expected("", "", 0);

  private final String what;
  private final PipedOutputStream toReader = new PipedOutputStream();
  private final BlockingQueue<Expected> announced = new LinkedBlockingQueue<>();
  private final CompletableFuture<Long> reader;

  /** An entry the dumper is about to write. */
  private record Expected(String path, String type, long size) {}

  /** {@code what} names the archive in messages (source and directory). */
  TarStreamCheck(String what) throws IOException {
    this.what = what;
    PipedInputStream in = new PipedInputStream(toReader, PIPE);
    this.reader = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                reader.complete(read(in));
              } catch (Throwable e) {
                reader.completeExceptionally(e);
              }
            },
            "tar-check");
    thread.setDaemon(true);
    thread.start();
  }

  /** Announces the next entry, before any of its bytes are written. */
  void expect(String path, String type, long size) {
    announced.add(new Expected(path, type, size));
  }

  /** A stream writing to {@code sink} and to the reader. */
  OutputStream tee(OutputStream sink) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        sink.write(bytes, offset, length);
        try {
          toReader.write(bytes, offset, length);
        } catch (IOException readerGone) {
          // The reader stopped at a difference; finish() names it.
          failIfReaderFailed();
          throw readerGone;
        }
      }

      @Override
      public void flush() throws IOException {
        sink.flush();
      }
    };
  }

  /**
   * Ends the check once the whole tar is written: the number of entries read back.
   *
   * @throws VigilException DUMP_INVALID naming the first difference
   */
  long finish() throws IOException {
    announced.add(END);
    toReader.close();
    try {
      return reader.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof VigilException invalid
          ? invalid
          : new IllegalStateException("reading the tar back failed", e.getCause());
    }
  }

  @Override
  public void close() {
    // Lets a reader still waiting for an announcement end, when the dump failed half-way.
    announced.add(END);
    try {
      toReader.close();
    } catch (IOException ignored) {
      // Closing a pipe whose reader is gone: nothing to release.
    }
  }

  private void failIfReaderFailed() {
    try {
      if (reader.isCompletedExceptionally()) {
        reader.join();
      }
    } catch (CompletionException e) {
      if (e.getCause() instanceof VigilException invalid) {
        // A new exception each time: the writer's close() can meet the difference again, and
        // try-with-resources refuses to add an exception to itself as suppressed.
        throw new VigilException(invalid.type(), invalid.getMessage(), invalid);
      }
    }
  }

  private long read(InputStream in) throws IOException, InterruptedException {
    long index = 0;
    try (in;
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Expected expected = announced.take();
        String type = entry.isSymbolicLink() ? "symlink" : entry.isDirectory() ? "dir" : "file";
        String name = entry.getName();
        if (entry.isDirectory() && name.endsWith("/")) {
          name = name.substring(0, name.length() - 1);
        }
        if (expected == END) {
          throw invalid("has entry " + name + " that the file list lacks");
        }
        if (!name.equals(expected.path())
            || entry.getSize() != expected.size()
            || !type.equals(expected.type())) {
          throw invalid(
              "entry "
                  + index
                  + " reads back as "
                  + name
                  + " ("
                  + entry.getSize()
                  + " bytes) but "
                  + expected.path()
                  + " ("
                  + expected.size()
                  + " bytes) was written");
        }
        index++;
      }
      // The end-of-archive blocks and padding: read so the writer never waits on a full pipe.
      in.transferTo(OutputStream.nullOutputStream());
    }
    Expected next = announced.take();
    if (next != END) {
      throw invalid("lacks " + next.path() + " from the file list");
    }
    return index;
  }

  private VigilException invalid(String difference) {
    return new VigilException(ErrorType.DUMP_INVALID, what + " " + difference);
  }
}
