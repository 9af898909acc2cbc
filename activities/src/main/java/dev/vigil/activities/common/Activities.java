package dev.vigil.activities.common;

import java.util.function.Supplier;

/**
 * The one place service failures become Temporal failures: a {@link VigilException} becomes an
 * {@code ApplicationFailure} of its type with its one-line message (no stack trace for expected
 * failures); anything else propagates with its cause chain and is retried.
 */
public final class Activities {
  private Activities() {}

  /** Runs {@code action}, translating expected failures. */
  public static <T> T run(Supplier<T> action) {
    try {
      return action.get();
    } catch (VigilException e) {
      throw e.type().failure(e.getMessage());
    }
  }

  /** Runs {@code action}, translating expected failures. */
  public static void run(Runnable action) {
    run(
        () -> {
          action.run();
          return null;
        });
  }
}
