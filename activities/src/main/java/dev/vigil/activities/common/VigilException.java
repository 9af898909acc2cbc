package dev.vigil.activities.common;

import dev.vigil.workflows.common.ErrorType;

/**
 * An expected failure of a service, with its kind and a one-line message a person can act on. The
 * activity layer turns it into an {@code ApplicationFailure} of the same type. Messages never hold
 * secrets.
 */
public final class VigilException extends RuntimeException {
  private final ErrorType type;

  public VigilException(ErrorType type, String message) {
    super(message);
    this.type = type;
  }

  public VigilException(ErrorType type, String message, Throwable cause) {
    super(message, cause);
    this.type = type;
  }

  public ErrorType type() {
    return type;
  }
}
