package dev.vigil.starter.read;

/** No run with this workflow id is known to Temporal (wrong id, or the server forgot it). */
public final class RunNotFoundException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String workflowId;

  /** The run {@code workflowId} does not exist. */
  public RunNotFoundException(String workflowId) {
    super(
        "run '"
            + workflowId
            + "' not found in Temporal: check the workflow id (vigil backups shows them), and note"
            + " that the embedded test server forgets runs when it stops");
    this.workflowId = workflowId;
  }

  /** The workflow id that was asked for. */
  public String workflowId() {
    return workflowId;
  }
}
