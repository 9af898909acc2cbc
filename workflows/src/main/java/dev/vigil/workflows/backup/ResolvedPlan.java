package dev.vigil.workflows.backup;

import java.util.List;

/** The worker's view of a plan: which sources, how many at once. */
public record ResolvedPlan(String plan, List<SourceRef> sources, int maxParallel) {}
