package dev.vigil.activities.common;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/** Short, person-readable reasons for failed database connections. */
public final class SqlErrors {
  private SqlErrors() {}

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
}
