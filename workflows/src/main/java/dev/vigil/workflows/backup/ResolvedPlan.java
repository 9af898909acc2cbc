package dev.vigil.workflows.backup;

import java.util.List;

/**
 * The worker's view of a plan: which sources, how many at once.
 *
 * @param copySources the plan's sources that name copy repositories ({@code copies:}); empty (or
 *     null, in histories from before copies) when none does
 */
public record ResolvedPlan(
    String plan, List<SourceRef> sources, int maxParallel, List<String> copySources) {

  /** A plan none of whose sources is copied. */
  public ResolvedPlan(String plan, List<SourceRef> sources, int maxParallel) {
    this(plan, sources, maxParallel, List.of());
  }

  /** Whether any source of the plan is copied to a second repository. */
  public boolean copies() {
    return copySources != null && !copySources.isEmpty();
  }
}
