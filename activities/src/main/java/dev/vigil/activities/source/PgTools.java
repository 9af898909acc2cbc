package dev.vigil.activities.source;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The PostgreSQL client tools (pg_dump, pg_restore) on this host, and the one way Vigil runs them:
 * passwords only through the child's environment, stderr kept (the last few KB) for messages, a
 * progress callback while waiting, and the child destroyed if the caller is interrupted or the
 * callback throws (an activity cancelled through its heartbeat).
 *
 * <p>Also reads {@code .pgpass} the way libpq does, so Vigil's own JDBC connection uses the same
 * password pg_dump will.
 */
public final class PgTools {
  private static final Path DEBIAN_VERSIONS = Path.of("/usr/lib/postgresql");
  private static final int STDERR_TAIL_BYTES = 4096;
  private static final Duration DESTROY_GRACE = Duration.ofSeconds(5);

  private final Path binDir;
  private volatile String pgDumpVersion;

  /** Tools in {@code binDir}; null means whatever is first on PATH. */
  public PgTools(Path binDir) {
    this.binDir = binDir;
  }

  /**
   * The tools of the highest PostgreSQL version Debian installed ({@code
   * /usr/lib/postgresql/<version>/bin}): pg_dump can dump servers up to its own version, so the
   * newest one reaches the most. Falls back to PATH.
   */
  public static PgTools locate() {
    return new PgTools(highestDebianBinDir().orElse(null));
  }

  static Optional<Path> highestDebianBinDir() {
    if (!Files.isDirectory(DEBIAN_VERSIONS)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(DEBIAN_VERSIONS)) {
      return versions
          .filter(dir -> dir.getFileName().toString().matches("\\d+(\\.\\d+)?"))
          .filter(dir -> Files.isExecutable(dir.resolve("bin/pg_dump")))
          .max(Comparator.comparingDouble(dir -> Double.parseDouble(dir.getFileName().toString())))
          .map(dir -> dir.resolve("bin"));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The directory the tools come from, or empty when they are found on PATH. */
  public Optional<Path> binDir() {
    return Optional.ofNullable(binDir);
  }

  /** The pg_dump executable (a bare name when it is looked up on PATH). */
  public String pgDump() {
    return tool("pg_dump");
  }

  /** The pg_restore executable (a bare name when it is looked up on PATH). */
  public String pgRestore() {
    return tool("pg_restore");
  }

  /** The pg_basebackup executable (a bare name when it is looked up on PATH). */
  public String pgBasebackup() {
    return tool("pg_basebackup");
  }

  /** The pg_waldump executable (a bare name when it is looked up on PATH). */
  public String pgWaldump() {
    return tool("pg_waldump");
  }

  private String tool(String name) {
    return binDir == null ? name : binDir.resolve(name).toString();
  }

  /** What {@code pg_dump --version} prints, e.g. {@code pg_dump (PostgreSQL) 15.14}. */
  public String pgDumpVersion() {
    String version = pgDumpVersion;
    if (version == null) {
      Output output = new Output();
      try {
        ProcessOutcome outcome =
            run(List.of(pgDump(), "--version"), Map.of(), output, Duration.ofSeconds(1), () -> {});
        if (outcome.exitCode() != 0) {
          throw new IllegalStateException(
              "pg_dump --version failed (exit "
                  + outcome.exitCode()
                  + "): "
                  + outcome.lastStderrLine());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while asking pg_dump for its version", e);
      }
      version = output.text().strip();
      pgDumpVersion = version;
    }
    return version;
  }

  /**
   * Runs {@code command} to completion.
   *
   * @param environment added to (or, for a null value, removed from) the inherited environment; the
   *     only place a password may go
   * @param stdoutLines receives each line of standard output; null discards it
   * @param progressEvery how often {@code progress} runs while the process is alive
   * @param progress e.g. a heartbeat; if it throws, the process is destroyed and the exception
   *     propagates
   * @throws InterruptedException if the calling thread is interrupted; the process is destroyed
   * @throws UncheckedIOException if the process cannot be started (tool not installed)
   */
  public ProcessOutcome run(
      List<String> command,
      Map<String, String> environment,
      Consumer<String> stdoutLines,
      Duration progressEvery,
      Runnable progress)
      throws InterruptedException {
    ProcessBuilder builder = builder(command, environment);
    builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    if (stdoutLines == null) {
      builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    }
    Process process = start(builder);
    StderrTail stderr = new StderrTail(process.getErrorStream());
    Thread stderrReader = startDaemon(stderr::drain, command.get(0) + "-stderr");
    Thread stdoutReader =
        stdoutLines == null
            ? null
            : startDaemon(
                () -> readLines(process.getInputStream(), stdoutLines), command.get(0) + "-stdout");
    return await(process, stderr, stderrReader, stdoutReader, progressEvery, progress);
  }

  /**
   * Starts {@code command} with its standard input a pipe the caller writes (and closes for EOF),
   * its standard output discarded and its standard error kept as {@link #run} keeps it.
   *
   * @throws UncheckedIOException if the process cannot be started (tool not installed)
   */
  public Piped startPiped(List<String> command, Map<String, String> environment) {
    ProcessBuilder builder = builder(command, environment);
    builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process process = start(builder);
    StderrTail stderr = new StderrTail(process.getErrorStream());
    return new Piped(process, stderr, startDaemon(stderr::drain, command.get(0) + "-stderr"));
  }

  /** A process started by {@link #startPiped}. */
  public static final class Piped {
    private final Process process;
    private final StderrTail stderr;
    private final Thread stderrReader;

    private Piped(Process process, StderrTail stderr, Thread stderrReader) {
      this.process = process;
      this.stderr = stderr;
      this.stderrReader = stderrReader;
    }

    /** Its standard input; closing it is the end of input. */
    public OutputStream stdin() {
      return process.getOutputStream();
    }

    /** Waits for it to exit as {@link #run} does (destroyed if interrupted or progress throws). */
    public ProcessOutcome await(Duration progressEvery, Runnable progress)
        throws InterruptedException {
      return PgTools.await(process, stderr, stderrReader, null, progressEvery, progress);
    }

    /** Stops it (SIGTERM, then SIGKILL after a grace period) if it still runs. */
    public void destroy() {
      PgTools.destroy(process);
    }
  }

  private static ProcessOutcome await(
      Process process,
      StderrTail stderr,
      Thread stderrReader,
      Thread stdoutReader,
      Duration progressEvery,
      Runnable progress)
      throws InterruptedException {
    boolean finished = false;
    try {
      while (!process.waitFor(progressEvery.toMillis(), TimeUnit.MILLISECONDS)) {
        progress.run();
      }
      // The readers end at EOF, right after the process exits.
      stderrReader.join();
      if (stdoutReader != null) {
        stdoutReader.join();
      }
      finished = true;
      return new ProcessOutcome(process.exitValue(), stderr.text());
    } finally {
      if (!finished) {
        destroy(process);
      }
    }
  }

  /**
   * A process builder for {@code command} with {@code environment} applied as {@link #run} does.
   */
  static ProcessBuilder builder(List<String> command, Map<String, String> environment) {
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> childEnvironment = builder.environment();
    environment.forEach(
        (name, value) -> {
          if (value == null) {
            childEnvironment.remove(name);
          } else {
            childEnvironment.put(name, value);
          }
        });
    return builder;
  }

  /**
   * Starts {@code builder}'s command.
   *
   * @throws UncheckedIOException if it cannot be started (tool not installed)
   */
  static Process start(ProcessBuilder builder) {
    try {
      return builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot run "
              + builder.command().get(0)
              + ": "
              + e.getMessage()
              + "; is PostgreSQL's client installed?",
          e);
    }
  }

  static void destroy(Process process) {
    process.destroy();
    try {
      if (!process.waitFor(DESTROY_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  static Thread startDaemon(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  static void readLines(InputStream stream, Consumer<String> lines) {
    try (var reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        lines.accept(line);
      }
    } catch (IOException e) {
      // The process was destroyed; its exit code tells what happened.
    }
  }

  /**
   * The password libpq would take from {@code pgpassFile} for this connection: the first line whose
   * host, port, database and user match ({@code *} matches anything, {@code \:} and {@code \\} are
   * escapes). Like libpq, a file that group or others may read is ignored.
   */
  public static Optional<String> pgpassPassword(
      Path pgpassFile, String host, int port, String database, String user) {
    if (pgpassFile == null || !Files.isRegularFile(pgpassFile)) {
      return Optional.empty();
    }
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(pgpassFile);
      if (permissions.stream()
          .anyMatch(p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"))) {
        return Optional.empty();
      }
      String[] wanted = {host, Integer.toString(port), database, user};
      for (String line : Files.readAllLines(pgpassFile, StandardCharsets.UTF_8)) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        List<String> fields = splitPgpassLine(line);
        if (fields.size() < 5) {
          continue;
        }
        boolean matches = true;
        for (int i = 0; i < wanted.length && matches; i++) {
          matches = fields.get(i).equals("*") || fields.get(i).equals(wanted[i]);
        }
        if (matches) {
          return Optional.of(fields.get(4));
        }
      }
      return Optional.empty();
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  /** The default {@code .pgpass}: {@code PGPASSFILE}, else {@code ~/.pgpass}. */
  public static Path defaultPgpassFile() {
    String fromEnvironment = System.getenv("PGPASSFILE");
    return fromEnvironment != null && !fromEnvironment.isBlank()
        ? Path.of(fromEnvironment)
        : Path.of(System.getProperty("user.home"), ".pgpass");
  }

  // Fields end at an unescaped ':'; like libpq, the password ends there too.
  private static List<String> splitPgpassLine(String line) {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\' && i + 1 < line.length()) {
        field.append(line.charAt(++i));
      } else if (c == ':') {
        fields.add(field.toString());
        field.setLength(0);
        if (fields.size() == 5) {
          return fields;
        }
      } else {
        field.append(c);
      }
    }
    fields.add(field.toString());
    return fields;
  }

  /**
   * How a process ended.
   *
   * @param stderrTail the last few KB of its standard error
   */
  public record ProcessOutcome(int exitCode, String stderrTail) {

    /** The last non-blank line of standard error, or {@code (no output)}. */
    public String lastStderrLine() {
      String[] lines = stderrTail.strip().split("\\R");
      for (int i = lines.length - 1; i >= 0; i--) {
        if (!lines[i].isBlank()) {
          return lines[i].strip();
        }
      }
      return "(no output)";
    }
  }

  /**
   * Keeps the last {@link #STDERR_TAIL_BYTES} bytes of a stream, so a chatty tool costs no memory.
   */
  static final class StderrTail {
    private final InputStream stream;
    private final Deque<byte[]> chunks = new ArrayDeque<>();
    private int size;

    StderrTail(InputStream stream) {
      this.stream = stream;
    }

    void drain() {
      byte[] buffer = new byte[1024];
      try (stream) {
        int read;
        while ((read = stream.read(buffer)) > 0) {
          byte[] chunk = Arrays.copyOf(buffer, read);
          synchronized (this) {
            chunks.addLast(chunk);
            size += read;
            while (size - chunks.peekFirst().length >= STDERR_TAIL_BYTES) {
              size -= chunks.removeFirst().length;
            }
          }
        }
      } catch (IOException e) {
        // The process was destroyed; what was read so far is the tail.
      }
    }

    synchronized String text() {
      byte[] all = new byte[size];
      int offset = 0;
      for (byte[] chunk : chunks) {
        System.arraycopy(chunk, 0, all, offset, chunk.length);
        offset += chunk.length;
      }
      int start = Math.max(0, all.length - STDERR_TAIL_BYTES);
      return new String(all, start, all.length - start, StandardCharsets.UTF_8);
    }
  }

  /** Collects standard output of short commands such as {@code --version}. */
  private static final class Output implements Consumer<String> {
    private final StringBuilder text = new StringBuilder();

    @Override
    public synchronized void accept(String line) {
      text.append(line).append('\n');
    }

    synchronized String text() {
      return text.toString();
    }
  }
}
