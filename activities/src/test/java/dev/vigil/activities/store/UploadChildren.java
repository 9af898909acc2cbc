package dev.vigil.activities.store;

import dev.vigil.workflows.backup.UploadProgress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the crash tests share: a child JVM on the test class path that uploads and prints each
 * heartbeat it would send as {@code PART <uploadId> <partSize> <partsDone> <bytesDone>}, for the
 * test to read, kill it with SIGKILL, and resume from the last one.
 */
final class UploadChildren {
  private UploadChildren() {}

  /** Prints a heartbeat as the child's output line. */
  static void print(UploadProgress progress) {
    System.out.println(
        "PART "
            + progress.uploadId()
            + " "
            + progress.partSize()
            + " "
            + progress.partsDone()
            + " "
            + progress.bytesDone());
    System.out.flush();
  }

  /**
   * A line {@link #print} wrote, as the heartbeat of uploading {@code total} bytes to {@code key}.
   */
  static UploadProgress parse(String line, String key, long total) {
    String[] fields = line.split(" ");
    if (!fields[0].equals("PART")) {
      throw new AssertionError("the child finished before it was killed: " + line);
    }
    return new UploadProgress(
        key,
        fields[1],
        Long.parseLong(fields[2]),
        Integer.parseInt(fields[3]),
        Long.parseLong(fields[4]),
        total);
  }

  /** Starts {@code main} in a JVM of its own with {@code environment} added to this one's. */
  static Process start(Class<?> main, Map<String, String> environment, String... args)
      throws IOException {
    String classPath = System.getProperty("surefire.test.class.path");
    if (classPath == null || classPath.isBlank()) {
      classPath = System.getProperty("java.class.path");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-Xmx128m", "-cp", classPath, main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().putAll(environment);
    return builder.start();
  }

  /** A check run on each heartbeat while the child runs. */
  @FunctionalInterface
  interface Beat {
    void accept(UploadProgress progress) throws IOException;
  }

  /**
   * Reads the child's heartbeats, passing each to {@code eachBeat}, and kills it with SIGKILL
   * {@code delayMillis} after the one with {@code partsDone} parts; the last heartbeat read.
   */
  static UploadProgress killAfter(
      Process child, String key, long total, int partsDone, long delayMillis, Beat eachBeat)
      throws IOException, InterruptedException {
    UploadProgress last = null;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        last = parse(line, key, total);
        eachBeat.accept(last);
        if (last.partsDone() == partsDone) {
          Thread.sleep(delayMillis);
          break;
        }
      }
    } finally {
      child.destroyForcibly();
    }
    if (!child.waitFor(10, TimeUnit.SECONDS) || child.exitValue() != 137) {
      throw new AssertionError("the child was not killed by SIGKILL (exit 128 + 9)");
    }
    if (last == null) {
      throw new AssertionError("the child sent no heartbeat");
    }
    return last;
  }
}
