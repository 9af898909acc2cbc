package dev.vigil.worker;

/**
 * Whether the worker can take work, for {@code /health/ready}: not until the catalog answered and
 * the worker factory polls, and not again once it stops.
 */
public final class Readiness {
  private volatile String notReadyReason = "starting";

  /** Why the worker is not ready, or null when it is. */
  public String notReadyReason() {
    return notReadyReason;
  }

  /** Not ready, for {@code reason} (one line a person can act on). */
  public void notReady(String reason) {
    notReadyReason = reason;
  }

  /** Ready. */
  public void ready() {
    notReadyReason = null;
  }
}
