package dev.vigil.infra.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The alert rules in infra/prometheus, checked and unit-tested by Prometheus's own promtool (Debian
 * package {@code prometheus}; .ci/run installs it).
 */
class AlertRulesIT {
  private static final Path RULES = Path.of("prometheus").toAbsolutePath();

  @Test
  void alertRulesAreValid() throws Exception {
    Result check = promtool("check", "rules", "alerts.yml");

    assertThat(check.exitCode()).as(check.output()).isZero();
    assertThat(check.output()).contains("SUCCESS: 10 rules found");
  }

  @Test
  void alertRulesPassTheirUnitTests() throws Exception {
    Result test = promtool("test", "rules", "alerts-test.yml");

    assertThat(test.exitCode()).as(test.output()).isZero();
    assertThat(test.output()).contains("SUCCESS").doesNotContain("FAILED");
  }

  private record Result(int exitCode, String output) {}

  private static Result promtool(String... arguments) throws IOException, InterruptedException {
    Path promtool =
        Stream.of(System.getenv("PATH").split(":"))
            .map(dir -> Path.of(dir, "promtool"))
            .filter(Files::isExecutable)
            .findFirst()
            .orElseThrow(
                () ->
                    new AssertionError(
                        "promtool not found on PATH; install it with: apt-get install -y"
                            + " prometheus (.ci/run does)"));
    List<String> command =
        Stream.concat(Stream.of(promtool.toString()), Stream.of(arguments)).toList();
    Process process =
        new ProcessBuilder(command).directory(RULES.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output);
  }
}
