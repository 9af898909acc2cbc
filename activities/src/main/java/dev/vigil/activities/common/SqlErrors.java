package dev.vigil.activities.common;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** Short, person-readable reasons for failed database connections, queries and client tools. */
public final class SqlErrors {
  /** SQLSTATE {@code insufficient_privilege}. */
  public static final String INSUFFICIENT_PRIVILEGE = "42501";

  private static final int MAX_CONDENSED = 1000;
  private static final int MAX_COMMAND = 240;

  // A server refusing for lack of a privilege, as libpq passes it on ("ERROR:  permission denied
  // for sequence s", "FATAL:  permission denied for database d", "must be owner of table t").
  private static final Pattern PERMISSION_DENIED =
      Pattern.compile(
          "(ERROR|FATAL):\\s+(permission denied for |must be owner of |must be superuser"
              + "|must be a member of |must have admin option)");

  // What a tool's stderr says about why it failed: its own "error:"/"detail:"/"hint:" lines and the
  // server's ERROR/FATAL/DETAIL/HINT lines. Progress ("pg_dump: dumping ...") and warnings are not.
  private static final Pattern WHY =
      Pattern.compile(
          "^(?:[a-z_]+: )?(?:error|detail|hint|fatal):.*|^(?:ERROR|FATAL|DETAIL|HINT):.*"
              + "|.*\\b(?:ERROR|FATAL):\\s.*");
  private static final Pattern COMMAND = Pattern.compile("^(?:Command|Query) was:.*");

  private SqlErrors() {}

  /**
   * CATALOG_UNAVAILABLE for a catalog statement that failed: {@code catalog: <what> failed:
   * <reason>}, the reason being why the server cannot be reached when that is it.
   */
  public static VigilException catalogFailure(String what, SQLException error) {
    String reason =
        java.util.Objects.requireNonNullElse(
            unreachableReason(error), String.valueOf(error.getMessage()));
    return new VigilException(
        dev.vigil.workflows.common.ErrorType.CATALOG_UNAVAILABLE,
        "catalog: " + what + " failed: " + reason,
        error);
  }

  /**
   * "connection refused", "unknown host", "timed out", "no route to host", or null when the cause
   * chain holds none of those.
   */
  public static String unreachableReason(SQLException error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof ConnectException) {
        return "connection refused";
      }
      if (cause instanceof UnknownHostException) {
        return "unknown host";
      }
      if (cause instanceof SocketTimeoutException) {
        return "timed out";
      }
      if (cause instanceof NoRouteToHostException) {
        return "no route to host";
      }
    }
    return null;
  }

  /**
   * The server's message with its detail and hint, on one line ({@code permission denied for table
   * t; detail: ...; hint: ...}); the driver's message when the server sent none.
   */
  public static String serverMessage(SQLException error) {
    if (error instanceof PSQLException psql && psql.getServerErrorMessage() != null) {
      ServerErrorMessage server = psql.getServerErrorMessage();
      StringBuilder message = new StringBuilder(String.valueOf(server.getMessage()));
      if (server.getDetail() != null && !server.getDetail().isBlank()) {
        message.append("; detail: ").append(server.getDetail());
      }
      if (server.getHint() != null && !server.getHint().isBlank()) {
        message.append("; hint: ").append(server.getHint());
      }
      return oneLine(message.toString());
    }
    return oneLine(String.valueOf(error.getMessage()));
  }

  /** Whether a server refused for lack of a privilege (SQLSTATE 42501). */
  public static boolean permissionDenied(SQLException error) {
    return INSUFFICIENT_PRIVILEGE.equals(error.getSQLState());
  }

  /** Whether a PostgreSQL client tool's stderr says the server refused for lack of a privilege. */
  public static boolean permissionDenied(String toolStderr) {
    return PERMISSION_DENIED.matcher(toolStderr).find();
  }

  /**
   * The lines of a PostgreSQL client tool's stderr that say why it failed, joined into one line:
   * {@code pg_dump: error: query failed: ERROR: permission denied for sequence s; detail: Query
   * was: SELECT ...}. Falls back to the last non-blank line when none matches. Never longer than
   * about 1 KB.
   */
  public static String condense(String toolStderr) {
    List<String> kept = new ArrayList<>();
    String last = null;
    StringBuilder command = null;
    for (String raw : toolStderr.split("\\R")) {
      String line = raw.strip();
      if (line.isEmpty()) {
        command = null;
        continue;
      }
      last = line;
      if (WHY.matcher(line).matches()) {
        command = null;
        kept.add(line);
      } else if (COMMAND.matcher(line).matches() && !kept.isEmpty()) {
        // pg_restore prints the failed command after its error, over as many lines as it has.
        command = new StringBuilder(line);
        kept.add(line);
      } else if (command != null && command.length() < MAX_COMMAND) {
        command.append(' ').append(line);
        kept.set(kept.size() - 1, command.toString());
      }
    }
    if (kept.isEmpty()) {
      return last == null ? "(no output)" : oneLine(last);
    }
    // A kept line's own final ';' (SQL) would double the separator.
    kept.replaceAll(line -> line.endsWith(";") ? line.substring(0, line.length() - 1) : line);
    kept.replaceAll(
        line ->
            line.length() > MAX_COMMAND && COMMAND.matcher(line).matches()
                ? line.substring(0, MAX_COMMAND) + " ..."
                : line);
    String joined = oneLine(String.join("; ", kept));
    return joined.length() > MAX_CONDENSED ? joined.substring(0, MAX_CONDENSED) + " ..." : joined;
  }

  private static String oneLine(String text) {
    return text.replaceAll("\\s+", " ").strip();
  }
}
