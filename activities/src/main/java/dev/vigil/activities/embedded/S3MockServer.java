package dev.vigil.activities.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An S3-compatible server (Adobe S3Mock) running as a child process on 127.0.0.1, for the embedded
 * stack and integration tests. A child process rather than an in-JVM server because S3Mock is a
 * Spring Boot application whose dependencies would clash with the worker's.
 *
 * <p>Objects are kept under the store root after the server stops, so an embedded stack keeps its
 * backups across restarts.
 */
public final class S3MockServer implements AutoCloseable {

  /** The S3Mock release this class was verified with. */
  public static final String VERSION = "5.2.0";

  /** System property naming the S3Mock exec jar. */
  public static final String JAR_PROPERTY = "vigil.s3mock.jar";

  /** Environment variable naming the S3Mock exec jar, when the property is not set. */
  public static final String JAR_ENV = "VIGIL_S3MOCK_JAR";

  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
  private static final int LOG_TAIL_LINES = 40;

  private final Process process;
  private final int port;
  private final Path logFile;
  private final Thread shutdownHook;

  private S3MockServer(Process process, int port, Path logFile) {
    this.process = process;
    this.port = port;
    this.logFile = logFile;
    this.shutdownHook = new Thread(this::stopProcess, "s3mock-shutdown-" + port);
  }

  /**
   * Starts S3Mock and waits until it answers.
   *
   * @param jar the S3Mock exec jar, see {@link #locateJar()}
   * @param storeRoot where S3Mock keeps buckets and objects; created if missing. The server's log
   *     goes next to it, as {@code <storeRoot name>.log}.
   * @param initialBuckets buckets to create at start (may be empty)
   * @throws IllegalStateException if the server does not answer within 60 seconds; the message
   *     holds the end of its log
   */
  public static S3MockServer start(Path jar, Path storeRoot, List<String> initialBuckets) {
    return start(jar, storeRoot, initialBuckets, Jit.QUICK_START);
  }

  /**
   * How S3Mock's JVM compiles: what it costs at start against what it costs per byte stored. S3Mock
   * takes the MD5 (ETag) and CRC64NVME of every byte it receives and again when it joins a
   * multipart upload's parts; under C1 alone that is 4-5 s of CPU for 280 MB, on the same cores as
   * the worker.
   */
  public enum Jit {
    /** C1 only: about 2 s quicker to start on 2 cores; for tests and short demos. */
    QUICK_START,
    /** C1 then C2: the JDK's MD5 and SHA intrinsics; for a stack that moves real data. */
    FULL
  }

  /** As {@link #start(Path, Path, List)}, with the JIT set to {@code jit}. */
  public static S3MockServer start(Path jar, Path storeRoot, List<String> initialBuckets, Jit jit) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("S3Mock jar " + jar + " does not exist");
    }
    Path root = storeRoot.toAbsolutePath();
    Path logFile = root.resolveSibling(root.getFileName() + ".log");
    int port = FreePorts.find();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // S3Mock is small; a capped heap keeps it near 250 MB, and C1 only makes it start faster.
    command.add("-Xmx256m");
    if (jit == Jit.QUICK_START) {
      command.add("-XX:TieredStopAtLevel=1");
    }
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    // Port 0 moves the HTTPS connector, which Vigil does not use, out of the way.
    command.add("--server.port=0");
    command.add("--server.address=127.0.0.1");
    command.add("--com.adobe.testing.s3mock.http-port=" + port);
    command.add("--com.adobe.testing.s3mock.store.root=" + root);
    if (!initialBuckets.isEmpty()) {
      command.add(
          "--com.adobe.testing.s3mock.store.initial-buckets=" + String.join(",", initialBuckets));
    }
    command.add("--com.adobe.testing.s3mock.store.retain-files-on-exit=true");

    Process process;
    try {
      Files.createDirectories(root);
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start S3Mock from " + jar, e);
    }
    S3MockServer server = new S3MockServer(process, port, logFile);
    Runtime.getRuntime().addShutdownHook(server.shutdownHook);
    try {
      server.awaitReady();
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /**
   * The S3Mock exec jar: system property {@value #JAR_PROPERTY}, else environment variable {@value
   * #JAR_ENV}, else the copy Maven keeps in the local repository.
   *
   * @throws IllegalStateException if none of these names an existing file
   */
  public static Path locateJar() {
    String property = System.getProperty(JAR_PROPERTY);
    if (property != null && !property.isBlank()) {
      return existing(Path.of(property), "system property " + JAR_PROPERTY);
    }
    String env = System.getenv(JAR_ENV);
    if (env != null && !env.isBlank()) {
      return existing(Path.of(env), "environment variable " + JAR_ENV);
    }
    Path local =
        Path.of(
            System.getProperty("user.home"),
            ".m2",
            "repository",
            "com",
            "adobe",
            "testing",
            "s3mock",
            VERSION,
            "s3mock-" + VERSION + "-exec.jar");
    return existing(
        local,
        "the local Maven repository (neither " + JAR_PROPERTY + " nor " + JAR_ENV + " is set)");
  }

  private static Path existing(Path jar, String origin) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "S3Mock jar "
              + jar
              + " from "
              + origin
              + " does not exist; fetch it with 'mvn dependency:get"
              + " -Dartifact=com.adobe.testing:s3mock:"
              + VERSION
              + ":jar:exec'");
    }
    return jar;
  }

  /** The plain-HTTP endpoint, {@code http://127.0.0.1:<port>}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** The HTTP port. */
  public int port() {
    return port;
  }

  /** Where the server's output goes. */
  public Path logFile() {
    return logFile;
  }

  /** Stops the server and waits for it to exit. Stored objects stay under the store root. */
  @Override
  public void close() {
    stopProcess();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shutdownInProgress) {
      // The hook is running or about to; it stops the same process, which is harmless.
    }
  }

  private void awaitReady() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest request =
        HttpRequest.newBuilder(endpoint().resolve("/"))
            .timeout(Duration.ofSeconds(2))
            .GET()
            .build();
    Instant deadline = Instant.now().plus(STARTUP_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "S3Mock exited with code " + process.exitValue() + " during start: " + logTail());
      }
      try {
        if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notListeningYet) {
        // Expected until Spring Boot has opened the connector.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for S3Mock to start", e);
      }
      sleep(Duration.ofMillis(200));
    }
    throw new IllegalStateException(
        "S3Mock did not answer on "
            + endpoint()
            + " within "
            + STARTUP_TIMEOUT.toSeconds()
            + " s: "
            + logTail());
  }

  private void stopProcess() {
    if (!process.isAlive()) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** The last lines of the server log, joined on one line for an exception message. */
  private String logTail() {
    try {
      // Decoded leniently: a tail is for reading, and one bad byte must not hide it.
      List<String> lines =
          new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8).lines().toList();
      List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
      return "log " + logFile + " ends with: " + String.join(" | ", tail);
    } catch (IOException e) {
      return "log " + logFile + " is unreadable (" + e.getMessage() + ")";
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for S3Mock to start", e);
    }
  }
}
