package dev.vigil.infra.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Runs the command-line tools the deployment checks use. */
final class Processes {
  private Processes() {}

  record Result(int exitCode, String output) {}

  /** The tool on PATH; fails the test naming the Debian package that provides it. */
  static String tool(String name, String debianPackage) {
    return Stream.of(System.getenv("PATH").split(":"))
        .map(dir -> Path.of(dir, name))
        .filter(Files::isExecutable)
        .findFirst()
        .map(Path::toString)
        .orElseThrow(
            () ->
                new AssertionError(
                    name
                        + " not found on PATH; install it with: apt-get install -y "
                        + debianPackage));
  }

  /** Runs {@code command} in {@code directory} with extra {@code env}; output and errors merged. */
  static Result run(Path directory, Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(List.of(command))
            .directory(directory.toFile())
            .redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
    return new Result(process.exitValue(), output);
  }
}
