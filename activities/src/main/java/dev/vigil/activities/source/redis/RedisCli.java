package dev.vigil.activities.source.redis;

import dev.vigil.activities.common.VigilException;
import dev.vigil.workflows.common.ErrorType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's {@code redis-cli} against one server. The password goes through the {@code
 * REDISCLI_AUTH} environment variable of the child process only: never on its command line (where
 * {@code ps} shows it), never in a message. Failures become one line naming {@code who} (the source
 * or the restored server) and its address.
 */
public final class RedisCli {
  /** How long a single command may take: redis-cli has no connect timeout of its own. */
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

  private final String who;
  private final String host;
  private final int port;
  private final String user;
  private final String password;
  private final boolean tls;

  /**
   * @param who what the server is, for messages: {@code source 'cache'}
   * @param password the resolved password, or null for no AUTH
   */
  public RedisCli(String who, String host, int port, String user, String password, boolean tls) {
    this.who = who;
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
    this.tls = tls;
  }

  /** For a source's server, with its resolved password. */
  public static RedisCli of(RedisSourceConfig source, String password) {
    return new RedisCli(
        "source '" + source.name() + "'",
        source.host(),
        source.port(),
        source.user(),
        password,
        source.tls());
  }

  /** For a server Vigil started on the loopback interface (no password, no TLS). */
  public static RedisCli local(String who, int port) {
    return new RedisCli(who, "127.0.0.1", port, null, null, false);
  }

  /** {@code host:port}. */
  public String address() {
    return host + ":" + port;
  }

  /** A process builder for {@code redis-cli <connection options> <args>}, password in its env. */
  public ProcessBuilder command(List<String> args) {
    List<String> command = new ArrayList<>(List.of("redis-cli", "-h", host, "-p", "" + port));
    if (user != null) {
      command.add("--user");
      command.add(user);
    }
    if (tls) {
      command.add("--tls");
    }
    command.add("--no-auth-warning");
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().remove("REDISCLI_AUTH");
    if (password != null) {
      builder.environment().put("REDISCLI_AUTH", password);
    }
    return builder;
  }

  /** The reply of one command, as redis-cli prints it (raw, not a terminal). */
  public String run(String... args) {
    return run(0, args);
  }

  /** The reply of one command on database {@code db}. */
  public String run(int db, String... args) {
    List<String> command = new ArrayList<>(List.of("-n", "" + db));
    command.addAll(List.of(args));
    ProcessBuilder builder = command(command).redirectErrorStream(true);
    Path output = null;
    try {
      output = Files.createTempFile("vigil-redis-cli-", ".out");
      builder.redirectOutput(output.toFile());
      Process process = builder.start();
      if (!process.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new VigilException(
            ErrorType.SOURCE_UNREACHABLE,
            who
                + ": Redis at "
                + address()
                + " did not answer "
                + args[0]
                + " within "
                + COMMAND_TIMEOUT.toSeconds()
                + " s; check the host, port and firewall");
      }
      String text = new String(Files.readAllBytes(output), StandardCharsets.UTF_8);
      failOn(text, process.exitValue());
      return text;
    } catch (IOException e) {
      throw new VigilException(
          ErrorType.DUMP_FAILED, who + ": cannot run redis-cli: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VigilException(
          ErrorType.DUMP_FAILED, who + ": interrupted while running redis-cli");
    } finally {
      if (output != null) {
        try {
          Files.deleteIfExists(output);
        } catch (IOException e) {
          // A temp file of a few bytes; the OS cleans it.
        }
      }
    }
  }

  /**
   * Throws the one-line failure redis-cli's output {@code text} shows (connection refused, AUTH
   * refused, an error reply), or returns when it shows none and {@code exitCode} is 0.
   */
  public void failOn(String text, int exitCode) {
    String first = firstProblem(text);
    if (first == null && exitCode == 0) {
      return;
    }
    if (first != null && first.startsWith("Could not connect to Redis at")) {
      int colon = first.lastIndexOf(": ");
      String why = colon > 0 ? first.substring(colon + 2) : first;
      throw new VigilException(
          ErrorType.SOURCE_UNREACHABLE,
          who + ": cannot connect to Redis at " + address() + " (" + why + ")");
    }
    if (first != null
        && (first.contains("AUTH failed")
            || first.startsWith("NOAUTH")
            || first.contains("WRONGPASS"))) {
      throw new VigilException(
          ErrorType.AUTHENTICATION_FAILED,
          who
              + ": Redis at "
              + address()
              + " refused the credentials"
              + (password == null ? " (no password is configured)" : "")
              + "; check the source's user and password");
    }
    if (first != null && first.contains("NOPERM")) {
      throw new VigilException(
          ErrorType.DATABASE_PERMISSION_DENIED,
          who
              + ": Redis at "
              + address()
              + " refused a command to "
              + (user == null ? "the default user" : "user '" + user + "'")
              + " ("
              + first.substring(first.indexOf("NOPERM"))
              + "); a backup needs +info +ping +replconf +sync +psync");
    }
    throw new VigilException(
        ErrorType.DUMP_FAILED,
        who
            + ": redis-cli against "
            + address()
            + " failed"
            + (first != null ? ": " + first : " with exit code " + exitCode));
  }

  private static String firstProblem(String text) {
    for (String line : text.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("Could not connect")
          || trimmed.startsWith("AUTH failed")
          || trimmed.startsWith("NOAUTH")
          || trimmed.startsWith("WRONGPASS")
          || trimmed.startsWith("ERR")
          || trimmed.contains("NOPERM")
          || trimmed.startsWith("LOADING")
          || trimmed.startsWith("Error:")
          || trimmed.startsWith("(error)")) {
        return trimmed;
      }
    }
    return null;
  }

  /** The {@code field:value} lines of an INFO reply. */
  public static Map<String, String> infoFields(String info) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (!line.startsWith("#") && colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).strip());
      }
    }
    return fields;
  }
}
