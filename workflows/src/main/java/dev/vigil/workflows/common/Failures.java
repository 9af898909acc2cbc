package dev.vigil.workflows.common;

import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.failure.TimeoutFailure;

/** Turns a failure chain into the one line a person can act on. Deterministic. */
public final class Failures {
  private Failures() {}

  /** The innermost application message, or a description of the timeout or cancellation. */
  public static String reason(Throwable failure) {
    Throwable current = failure;
    String fallback = failure.getMessage();
    while (current != null) {
      if (current instanceof ApplicationFailure application) {
        return application.getOriginalMessage();
      }
      if (current instanceof CanceledFailure) {
        return "cancelled";
      }
      if (current instanceof TimeoutFailure timeout) {
        fallback = "timed out (" + timeout.getTimeoutType() + ")";
      } else if (current instanceof TemporalFailure temporal
          && temporal.getOriginalMessage() != null
          && !temporal.getOriginalMessage().isBlank()) {
        fallback = temporal.getOriginalMessage();
      }
      current = current.getCause();
    }
    return fallback;
  }

  /** The {@link ErrorType} name of the innermost application failure, or "UNEXPECTED". */
  public static String type(Throwable failure) {
    Throwable current = failure;
    while (current != null) {
      if (current instanceof ApplicationFailure application && application.getType() != null) {
        return application.getType();
      }
      if (current instanceof CanceledFailure) {
        return "CANCELLED";
      }
      if (current instanceof TimeoutFailure) {
        return "TIMEOUT";
      }
      current = current.getCause();
    }
    return "UNEXPECTED";
  }
}
