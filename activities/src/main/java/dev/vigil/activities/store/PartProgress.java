package dev.vigil.activities.store;

import java.time.Duration;
import java.util.function.LongConsumer;

/**
 * Progress within one part of an upload, as the HTTP client reads the part's bytes: passed on at
 * most every {@link #EVERY}, so a heartbeat per read buffer does not cost a lock and an object per
 * 8 KiB. A listener that throws (a cancelled activity's heartbeat) is not thrown into the HTTP
 * client, which would turn it into a network error; it is kept and rethrown after the part by
 * {@link #rethrowDeferred()}.
 */
final class PartProgress {
  /** How often progress within a part is passed on at most. */
  static final Duration EVERY = Duration.ofMillis(200);

  private final long everyNanos;
  private final LongConsumer listener;
  private long lastReportNanos = System.nanoTime();
  private long highest;
  private RuntimeException deferred;

  /** Tells {@code listener} the bytes of the part sent so far, at most every {@code everyNanos}. */
  PartProgress(long everyNanos, LongConsumer listener) {
    this.everyNanos = everyNanos;
    this.listener = listener;
  }

  /**
   * {@code bytes} of the part have been read for sending. The client may read a part twice (once to
   * sign it over plain HTTP, then to send it): only a new highest count is passed on, so the
   * progress never goes back.
   */
  synchronized void sent(long bytes) {
    long now = System.nanoTime();
    if (bytes <= highest) {
      return;
    }
    highest = bytes;
    if (deferred != null || now - lastReportNanos < everyNanos) {
      return;
    }
    lastReportNanos = now;
    try {
      listener.accept(bytes);
    } catch (RuntimeException e) {
      deferred = e;
    }
  }

  /** Throws what the listener threw while the part was sent, if it did. */
  synchronized void rethrowDeferred() {
    if (deferred != null) {
      throw deferred;
    }
  }
}
