package dev.vigil.starter.api;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import java.util.List;

/**
 * {@code vigil.known.*}: the source and drill plan names of vigil.yaml, when the launcher passes
 * them, so a request naming an unknown one is a 400 at once rather than a run that fails later.
 * Without them every well-formed name is passed on and the worker judges it.
 */
@ConfigurationProperties("vigil.known")
record KnownNames(@Nullable List<String> sources, @Nullable List<String> drillPlans) {
  /** Checks {@code source} against the known sources; null passes. */
  String source(String field, String source) {
    Fields.name(field, source);
    if (source != null && sources != null && !sources.contains(source)) {
      throw ApiException.invalid(
          field, "no source " + Fields.quoted(source) + " in vigil.yaml; known: " + sources);
    }
    return source;
  }

  /**
   * The drill plan to run: the named one if known; if none is named, the only configured plan (or
   * {@code default}, vigil.yaml's plan when it declares none).
   */
  String drillPlan(String plan) {
    Fields.name("plan", plan);
    if (drillPlans == null) {
      return plan != null ? plan : "default";
    }
    if (plan == null) {
      if (drillPlans.size() == 1) {
        return drillPlans.get(0);
      }
      throw ApiException.invalid("plan", "missing; name one of " + drillPlans);
    }
    if (!drillPlans.contains(plan)) {
      throw ApiException.invalid(
          "plan", "no drill plan " + Fields.quoted(plan) + " in vigil.yaml; known: " + drillPlans);
    }
    return plan;
  }
}
