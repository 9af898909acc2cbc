package dev.vigil.workflows.common;

import io.temporal.common.SearchAttributeKey;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Workflow;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Vigil's custom search attributes, so an operator can filter runs in the Temporal UI ({@code
 * VigilSource="appdb" AND VigilOutcome="failed"}). The worker registers them at startup; clients
 * set them when they start a run, workflows pass them to their children and upsert the outcome when
 * they end.
 *
 * <p>A server that refused the registration refuses runs that carry them, so clients fall back to
 * starting without; a run without them (or started before they existed) neither passes them on nor
 * upserts its outcome, and cannot fail on an unknown attribute.
 */
public final class SearchAttributes {
  /** The source a run is about (unset for runs over several sources). */
  public static final SearchAttributeKey<String> SOURCE =
      SearchAttributeKey.forKeyword("VigilSource");

  /** What a run does: one of the {@code KIND_*} values. */
  public static final SearchAttributeKey<String> KIND = SearchAttributeKey.forKeyword("VigilKind");

  /** running, then succeeded, failed or cancelled. */
  public static final SearchAttributeKey<String> OUTCOME =
      SearchAttributeKey.forKeyword("VigilOutcome");

  /** Who started the run: {@code cli (alice)}, {@code api:ci}, {@code schedule nightly}. */
  public static final SearchAttributeKey<String> TRIGGERED_BY =
      SearchAttributeKey.forKeyword("VigilTriggeredBy");

  /** Every attribute, for registration. */
  public static final List<SearchAttributeKey<String>> ALL =
      List.of(SOURCE, KIND, OUTCOME, TRIGGERED_BY);

  public static final String KIND_BACKUP_SET = "backup-set";
  public static final String KIND_BACKUP = "backup";
  public static final String KIND_RESTORE = "restore";
  public static final String KIND_DRILL = "drill";
  public static final String KIND_RETENTION = "retention";
  public static final String KIND_REHYDRATE = "rehydrate";
  public static final String KIND_REPORT = "report";

  public static final String RUNNING = "running";
  public static final String SUCCEEDED = "succeeded";
  public static final String FAILED = "failed";
  public static final String CANCELLED = "cancelled";

  /** The change id that guards the outcome upsert in workflows shipped before it. */
  static final String CHANGE_ID = "search-attributes";

  private SearchAttributes() {}

  /**
   * The attributes of a new run, outcome {@code running}; {@code source} and {@code triggeredBy}
   * are left out when null.
   */
  public static io.temporal.common.SearchAttributes forRun(
      String kind, String source, String triggeredBy) {
    var attributes =
        io.temporal.common.SearchAttributes.newBuilder().set(KIND, kind).set(OUTCOME, RUNNING);
    if (source != null && !source.isBlank()) {
      attributes.set(SOURCE, source);
    }
    if (triggeredBy != null && !triggeredBy.isBlank()) {
      attributes.set(TRIGGERED_BY, triggeredBy);
    }
    return attributes.build();
  }

  /**
   * Workflow code: the attributes for a child run, or none when this run has none (the server did
   * not register them, or the run predates them).
   */
  public static io.temporal.common.SearchAttributes forChild(
      String kind, String source, String triggeredBy) {
    return carried()
        ? forRun(kind, source, triggeredBy)
        : io.temporal.common.SearchAttributes.EMPTY;
  }

  /**
   * Workflow code: runs {@code body} and upserts {@code VigilOutcome} when it ends: succeeded if
   * {@code succeeded} accepts the result, failed if not or if it throws, cancelled if cancelled.
   */
  public static <T> T recordingOutcome(Supplier<T> body, Predicate<T> succeeded) {
    T result;
    try {
      result = body.get();
    } catch (RuntimeException failure) {
      upsertOutcome(cancelled(failure) ? CANCELLED : FAILED);
      throw failure;
    }
    upsertOutcome(succeeded.test(result) ? SUCCEEDED : FAILED);
    return result;
  }

  private static boolean cancelled(RuntimeException failure) {
    return failure instanceof CanceledFailure
        || (failure instanceof ChildWorkflowFailure child
            && child.getCause() instanceof CanceledFailure)
        || CancellationScope.current().isCancelRequested();
  }

  private static void upsertOutcome(String outcome) {
    // Runs shipped before this change end without the upsert, as their histories say.
    int version = Workflow.getVersion(CHANGE_ID, Workflow.DEFAULT_VERSION, 1);
    if (version != Workflow.DEFAULT_VERSION && carried()) {
      Workflow.upsertTypedSearchAttributes(OUTCOME.valueSet(outcome));
    }
  }

  private static boolean carried() {
    return Workflow.getTypedSearchAttributes().containsKey(KIND);
  }
}
