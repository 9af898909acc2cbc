package dev.vigil.activities.store;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for the parts a {@link GrowingUpload} has in flight, with a heartbeat meanwhile. */
final class PartFutures {
  private PartFutures() {}

  /**
   * Waits for every part in order, calling {@code whileWaiting} about once a second (an exception
   * from it is thrown); the first failed part's {@link ExecutionException} is thrown.
   */
  static void awaitAll(List<Future<Void>> parts, Runnable whileWaiting)
      throws ExecutionException, InterruptedException {
    for (Future<Void> part : parts) {
      while (true) {
        try {
          part.get(1, TimeUnit.SECONDS);
          break;
        } catch (TimeoutException stillRunning) {
          whileWaiting.run();
        }
      }
    }
  }
}
