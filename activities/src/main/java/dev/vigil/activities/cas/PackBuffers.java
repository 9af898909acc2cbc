package dev.vigil.activities.cas;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A chunked restore's pack buffers, reused: a buffer is taken for a download and given back when
 * the pack's last chunk has been written. New ones are made (in whole MiB) while both this
 * restore's budget and the worker's pool allow, dropping unused smaller ones to make room; beyond
 * that, {@link #take} says no and the pack goes to a scratch file. The pool ({@link #WORKER}, a
 * quarter of the heap) is shared by every restore of the worker, so restores running side by side
 * (sources of a drill, parallel restores) stay within it together; {@link #close} gives a restore's
 * buffers back to it.
 */
final class PackBuffers implements AutoCloseable {
  /** The bytes every restore of this JVM may keep in pack buffers at once. */
  static final AtomicLong WORKER = new AtomicLong(Runtime.getRuntime().maxMemory() / 4);

  private static final int ROUND = 1 << 20;
  private final long budget;
  private final AtomicLong pool;
  private final List<byte[]> free = new ArrayList<>();
  private long allocated;
  private boolean closed;

  /** Buffers within {@code budget} bytes, each also reserved from {@code pool}. */
  PackBuffers(long budget, AtomicLong pool) {
    this.budget = budget;
    this.pool = pool;
  }

  /** A buffer of at least {@code size} bytes, or null if none fits the budget or the pool. */
  synchronized byte[] take(long size) {
    if (closed) {
      return null;
    }
    byte[] best = null;
    for (byte[] buffer : free) {
      if (buffer.length >= size && (best == null || buffer.length < best.length)) {
        best = buffer;
      }
    }
    if (best != null) {
      free.remove(best);
      return best;
    }
    long capacity = (size + ROUND - 1) / ROUND * ROUND;
    free.sort((a, b) -> Integer.compare(b.length, a.length));
    while (allocated + capacity > budget && !free.isEmpty()) {
      drop(free.remove(free.size() - 1));
    }
    if (allocated + capacity > budget || !reserve(capacity)) {
      return null;
    }
    allocated += capacity;
    return new byte[(int) capacity];
  }

  /** {@code buffer} (from {@link #take}) may be reused. */
  synchronized void give(byte[] buffer) {
    if (!closed) {
      free.add(buffer);
    }
  }

  /** Bytes in buffers taken and not given back. */
  synchronized long inUse() {
    long kept = 0;
    for (byte[] buffer : free) {
      kept += buffer.length;
    }
    return allocated - kept;
  }

  /** Bytes of this restore's buffers, in use or kept for reuse. */
  synchronized long allocated() {
    return allocated;
  }

  private boolean reserve(long capacity) {
    long left = pool.get();
    while (left >= capacity) {
      if (pool.compareAndSet(left, left - capacity)) {
        return true;
      }
      left = pool.get();
    }
    return false;
  }

  private void drop(byte[] buffer) {
    allocated -= buffer.length;
    pool.addAndGet(buffer.length);
  }

  /**
   * Gives all of this restore's bytes back to the pool, those of buffers still in use too: the
   * reader's threads have stopped, so they are garbage once their last holder lets go (a failed
   * restore must not shrink the pool for good).
   */
  @Override
  public synchronized void close() {
    closed = true;
    free.clear();
    pool.addAndGet(allocated);
    allocated = 0;
  }
}
