package dev.vigil.activities.testing;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Signals to a child process (pg_dump) from a test: pause it, let it run in short slices until
 * something has happened, kill it. Lets a test catch a fast process at an exact point.
 */
public final class ProcessSignals {
  private ProcessSignals() {}

  /** Sends {@code signal} (STOP, CONT, KILL) to {@code process}; fails if it is gone. */
  public static void signal(String signal, ProcessHandle process) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
              .inheritIO()
              .start();
      if (kill.waitFor() != 0) {
        throw new AssertionError("kill -" + signal + " " + process.pid() + ": the process is gone");
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run kill: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Pauses {@code process} and lets it run 5 ms at a time until {@code reached} holds; it is left
   * paused. Fails if it ends first or after {@code seconds}. The slices are short because a process
   * that writes to a file (pg_dump -f) is not held back by its reader: on a loaded machine 20 ms
   * slices let a 50 MB dump finish before the test saw what it waits for.
   */
  public static void stepUntil(ProcessHandle process, BooleanSupplier reached, int seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    signal("STOP", process);
    while (!reached.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not reached within " + seconds + " s");
      }
      signal("CONT", process);
      Thread.sleep(5);
      signal("STOP", process);
    }
  }
}
