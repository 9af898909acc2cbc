package dev.vigil.starter;

/** A run that was asked to stop had already ended: there was nothing to cancel. */
public final class RunClosedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String workflowId;
  private final String state;

  /** Run {@code workflowId} had ended in {@code state} (COMPLETED, FAILED, CANCELED, …). */
  public RunClosedException(String workflowId, String state) {
    super("run '" + workflowId + "' already ended (" + state + "); nothing to cancel");
    this.workflowId = workflowId;
    this.state = state;
  }

  public String workflowId() {
    return workflowId;
  }

  /** The state the run ended in. */
  public String state() {
    return state;
  }
}
