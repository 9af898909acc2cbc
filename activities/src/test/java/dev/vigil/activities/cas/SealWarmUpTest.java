package dev.vigil.activities.cas;

import static org.assertj.core.api.Assertions.assertThatCode;

import org.junit.jupiter.api.Test;

/**
 * The warm-up's operations are the real ones and succeed (every chunk it seals opens again); its
 * effect on speed is measured by {@code bench/warmup-bench.sh}, not here.
 */
class SealWarmUpTest {
  @Test
  void sealsAndOpensItsChunksWithoutFailing() {
    assertThatCode(SealWarmUp::run).doesNotThrowAnyException();
  }
}
