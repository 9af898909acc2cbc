package dev.vigil.activities.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckGaugesTest {
  private RepositoryChecks.Report next;
  private boolean storeDown;

  private RepositoryChecks.Report check() {
    if (storeDown) {
      throw new IllegalStateException("repository 'main' is unreachable");
    }
    return next;
  }

  @Test
  void everySourceAndKindGetsASeriesAndAFailedCheckKeepsTheLastValues() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Clock clock = Clock.fixed(Instant.ofEpochSecond(1_000), ZoneOffset.UTC);
    CheckGauges gauges = new CheckGauges(this::check, List.of("docs", "models"), clock);
    gauges.bindTo(registry);
    next =
        report(
            new CheckProblem(CheckProblem.MISSING, "models", "m1", "prod/models/m1/data.vgl", "x"),
            new CheckProblem(CheckProblem.ORPHAN, "-", null, "prod/notes.txt", "y"),
            new CheckProblem(CheckProblem.ORPHAN, "-", null, "prod/other.txt", "z"));

    assertThat(registry.get("vigil.check.last.run.timestamp.seconds").gauge().value()).isNaN();
    gauges.runOnce();

    assertThat(problems(registry, "models", "missing")).isEqualTo(1);
    assertThat(problems(registry, "-", "orphan")).isEqualTo(2);
    assertThat(problems(registry, "docs", "missing")).isZero();
    assertThat(problems(registry, "docs", "damaged")).isZero();
    assertThat(registry.get("vigil.check.problems").gauges())
        .hasSize(3 * CheckProblem.OBJECT_KINDS.size());
    assertThat(registry.get("vigil.check.last.run.timestamp.seconds").gauge().value())
        .isEqualTo(1_000);

    storeDown = true;
    gauges.runOnce();

    assertThat(problems(registry, "models", "missing")).isEqualTo(1);
    assertThat(registry.get("vigil.check.last.run.timestamp.seconds").gauge().value())
        .isEqualTo(1_000);

    storeDown = false;
    next = report();
    gauges.runOnce();

    assertThat(problems(registry, "models", "missing")).isZero();
    assertThat(registry.find("vigil.check.problems").tag("source", "-").gauges()).isEmpty();
  }

  private static double problems(SimpleMeterRegistry registry, String source, String kind) {
    return registry
        .get("vigil.check.problems")
        .tag("source", source)
        .tag("kind", kind)
        .gauge()
        .value();
  }

  private static RepositoryChecks.Report report(CheckProblem... problems) {
    return new RepositoryChecks.Report(
        List.of(new CheckResult("models", "objects", List.of(problems), List.of(), null)),
        "check: ...");
  }
}
