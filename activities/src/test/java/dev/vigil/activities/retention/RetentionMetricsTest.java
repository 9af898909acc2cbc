package dev.vigil.activities.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class RetentionMetricsTest {

  @Test
  void archivingAModelCountsItAsAModelAndItsBytes() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RetentionMetrics metrics = new RetentionMetrics(registry);

    metrics.archived("models", "model", 1000);
    metrics.archived("appdb", "database", 50);
    metrics.pruned("appdb", "database", 70);

    assertThat(registry.get("models.archived").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("backups.archived").tag("source", "appdb").counter().count())
        .isEqualTo(1.0);
    assertThat(registry.get("bytes.archived").tag("kind", "model").counter().count())
        .isEqualTo(1000.0);
    assertThat(registry.get("backups.pruned").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("bytes.pruned").counter().count()).isEqualTo(70.0);
  }
}
