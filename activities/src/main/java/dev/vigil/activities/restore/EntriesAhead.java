package dev.vigil.activities.restore;

import dev.vigil.activities.cas.Snapshot;
import dev.vigil.activities.cas.SnapshotTar;
import dev.vigil.activities.source.FileEntry;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Makes a snapshot's entries on a thread of its own, in order and a bounded number ahead of the
 * thread that writes the files' content: each entry is checked and made by the {@link
 * SafeTarExtractor} exactly as in a single-threaded restore (directories and symlinks created, a
 * regular file created empty and opened). Creating a file is kernel work of its own (on ext4 after
 * many deletes, the inode allocator's search dominates it), so it overlaps the writing of the files
 * before it. At most {@link #AHEAD} entries are made and not yet taken, each holding at most one
 * open file. A failure (a refused entry, a manifest mismatch) is handed over in its entry's place:
 * the writer sees it where a single-threaded restore would have, and nothing after it is made.
 */
final class EntriesAhead implements AutoCloseable {
  static final int AHEAD = 64;
  private static final AtomicInteger THREADS = new AtomicInteger();

  /**
   * An entry made: its node, its checked name, where it is and the manifest's entry for it; for a
   * regular file, {@code file} is it, created empty and open for writing.
   */
  record Made(
      Snapshot.Node node,
      TarArchiveEntry entry,
      String name,
      Path destination,
      FileEntry recorded,
      FileChannel file) {}

  private record Item(Made made, Throwable failure) {}

  /** Checks an entry against the manifest and returns the manifest's entry for it. */
  interface Check {
    FileEntry entry(TarArchiveEntry entry, String name);
  }

  /** Opens a regular file {@link SafeTarExtractor#add} returned. */
  interface Opener {
    FileChannel open(Path destination) throws IOException;
  }

  private final BlockingQueue<Item> made = new ArrayBlockingQueue<>(AHEAD);
  private final Thread thread;
  private volatile boolean closed;

  EntriesAhead(List<Snapshot.Node> nodes, SafeTarExtractor extractor, Check check) {
    this(nodes, extractor, check, SafeTarExtractor::createFile);
  }

  /** As above, opening regular files with {@code create} (a test records what it opens). */
  EntriesAhead(List<Snapshot.Node> nodes, SafeTarExtractor extractor, Check check, Opener create) {
    Iterator<Snapshot.Node> upcoming = nodes.iterator();
    this.thread =
        new Thread(
            () -> run(upcoming, extractor, check, create),
            "vigil-restore-entries-" + THREADS.incrementAndGet());
    thread.setDaemon(true);
    thread.start();
  }

  /** The next entry, made; throws what making it threw. */
  Made next() throws IOException {
    Item item;
    try {
      item = made.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the next restored entry");
    }
    if (item.failure() != null) {
      rethrow(item.failure());
    }
    return item.made();
  }

  private void run(
      Iterator<Snapshot.Node> upcoming, SafeTarExtractor extractor, Check check, Opener create) {
    while (!closed && upcoming.hasNext()) {
      Snapshot.Node node = upcoming.next();
      Item item;
      FileChannel file = null;
      try {
        TarArchiveEntry entry = SnapshotTar.entry(node);
        String name = SafeTarExtractor.name(entry.getName());
        FileEntry[] recorded = new FileEntry[1];
        Path destination =
            extractor.add(
                entry,
                name,
                new SafeTarExtractor.Listener() {
                  @Override
                  public void entry(TarArchiveEntry checked, String checkedName) {
                    recorded[0] = check.entry(checked, checkedName);
                  }

                  @Override
                  public void written(String writtenName, String sha256) {}
                });
        if ("file".equals(node.type())) {
          file = create.open(destination);
        }
        item = new Item(new Made(node, entry, name, destination, recorded[0], file), null);
      } catch (IOException | RuntimeException | Error e) {
        item = new Item(null, e);
      }
      try {
        made.put(item);
      } catch (InterruptedException e) {
        closeQuietly(file);
        return;
      }
      if (item.failure() != null) {
        return;
      }
    }
  }

  /** Stops making entries and closes the files made but not taken. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      // Bounded like the reader's threads: a creation stuck in the kernel must not hang the
      // restore.
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Item item = made.poll(); item != null; item = made.poll()) {
      if (item.made() != null) {
        closeQuietly(item.made().file());
      }
    }
  }

  private static void closeQuietly(FileChannel file) {
    if (file == null) {
      return;
    }
    try {
      file.close();
    } catch (IOException e) {
      // Closing an empty file of a restore that failed; its staging directory is removed.
    }
  }

  private static void rethrow(Throwable failure) throws IOException {
    if (failure instanceof IOException io) {
      throw io;
    }
    if (failure instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (failure instanceof Error error) {
      throw error;
    }
    throw new IllegalStateException(failure);
  }
}
