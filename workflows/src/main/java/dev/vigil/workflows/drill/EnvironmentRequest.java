package dev.vigil.workflows.drill;

import java.util.List;

/** Create the throwaway environment of drill {@code drillId} for {@code sources}. */
public record EnvironmentRequest(String drillId, List<DrillSource> sources) {}
