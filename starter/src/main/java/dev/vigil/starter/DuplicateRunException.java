package dev.vigil.starter;

/** A run with the same business id was already started; it is not started twice. */
public final class DuplicateRunException extends RuntimeException {
  private final String workflowId;

  public DuplicateRunException(String workflowId) {
    super(
        "a run with id "
            + workflowId
            + " was already started; Vigil does not run the same backup twice");
    this.workflowId = workflowId;
  }

  public String workflowId() {
    return workflowId;
  }
}
