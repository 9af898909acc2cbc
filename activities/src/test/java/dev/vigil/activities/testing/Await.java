package dev.vigil.activities.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits in a test for something another process or thread makes true. */
public final class Await {
  private Await() {}

  /**
   * Polls {@code condition} every 100 ms until it holds; an AssertionError naming {@code what} once
   * {@code timeout} has passed.
   */
  public static void until(Duration timeout, BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting until " + what);
      }
      Thread.sleep(100);
    }
  }
}
