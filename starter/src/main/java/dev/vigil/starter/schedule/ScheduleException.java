package dev.vigil.starter.schedule;

/** A schedule command that cannot be done as asked; the message says what to do instead. */
public final class ScheduleException extends RuntimeException {
  public ScheduleException(String message) {
    super(message);
  }
}
