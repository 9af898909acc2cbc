package dev.vigil.infra.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LiveProgressTest {

  @Test
  void redrawsOverThePreviousFrameAndErasesItWhenClosed() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream terminal = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    AtomicInteger polls = new AtomicInteger();
    CountDownLatch twoFrames = new CountDownLatch(2);
    List<List<String>> frames =
        List.of(List.of("appdb  dump", "models  dump"), List.of("appdb  upload  1.0 MiB"));

    try (LiveProgress progress =
        new LiveProgress(
            () -> {
              List<String> frame = frames.get(Math.min(polls.getAndIncrement(), 1));
              twoFrames.countDown();
              return frame;
            },
            terminal,
            10)) {
      assertThat(twoFrames.await(5, TimeUnit.SECONDS)).isTrue();
      Thread.sleep(50);
    }

    String drawn = bytes.toString(StandardCharsets.UTF_8);
    assertThat(drawn)
        .startsWith(
            "\r\u001b[Jappdb  dump\nmodels  dump\n\u001b[2A\r\u001b[Jappdb  upload  1.0 MiB\n")
        .endsWith("\u001b[1A\r\u001b[J");
  }

  @Test
  void disabledDrawsNothing() {
    try (LiveProgress progress =
        new LiveProgress(
            () -> {
              throw new AssertionError("polled although disabled");
            },
            null,
            10)) {
      assertThat(progress).isNotNull();
    }
    assertThat(LiveProgress.wanted(true, false)).isFalse();
    assertThat(LiveProgress.wanted(false, true)).isFalse();
    assertThat(LiveProgress.wanted(false, false)).isTrue();
  }
}
